"""The handling view: everything needed for one alarm without searching, and
its actions. Each action is one service call; the answer re-renders the
section it changed (htmx) plus the status bar and the closing gate
out-of-band, so text typed in other sections is never lost."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from alarms import selectors
from alarms.console.access import staff_required
from alarms.models import Alarm, PublicService, Qualification
from alarms.models.handling import CallOutcome, Evidence
from alarms.panels import panels_for
from alarms.presence import is_abandoned
from alarms.services import handling as h
from alarms.services import lifecycle as life
from sites.roles import OPERATOR, SUPERVISOR, is_supervisor
from sites.selectors import call_list

SECTIONS = ("status", "steps", "calls", "verification", "public", "comments", "gate", "body")
HOLD_CHOICES = (5, 10, 15, 30, 60)


def _alarm(user, pk: int) -> Alarm:
    return get_object_or_404(selectors.alarms_visible_to(user).select_related(
        "site", "site__customer", "customer", "zone", "taken_by", "closed_by", "transmitter"), pk=pk)


def handling_context(alarm: Alarm, user) -> dict:
    site = alarm.site
    steps = list(alarm.steps.order_by("order", "id"))
    mine = alarm.taken_by_id == user.pk and alarm.state in (Alarm.State.TAKEN, Alarm.State.HOLD)
    supervisor = is_supervisor(user)
    operators = []
    if supervisor:
        operators = list(get_user_model().objects.filter(is_active=True, groups__name__in=[OPERATOR, SUPERVISOR])
                         .distinct().order_by("username"))
    return {
        "alarm": alarm, "site": site, "zone": alarm.zone,
        "steps": steps,
        "pending_mandatory": [s for s in steps if s.mandatory and s.is_open],
        "contacts": list(call_list(site)) if site else [],
        "calls": list(alarm.call_attempts.select_related("contact").order_by("id")),
        "evidence": list(alarm.evidence.order_by("id")),
        "verification": selectors.verification_status(alarm),
        "public_calls": list(alarm.public_calls.order_by("id")),
        "comments": list(alarm.comments.order_by("id")),
        "recent_signals": selectors.recent_signals(alarm),
        "last_alarms": selectors.site_last_alarms(alarm),
        "faults": selectors.site_open_faults(site),
        "normal": selectors.back_to_normal(alarm),
        "panels": panels_for(alarm.pk),
        "closure_codes": life.CLOSURE_CODES,
        "qualifications": Qualification.choices,
        "public_services": PublicService.choices,
        "call_outcomes": [c for c in CallOutcome.choices if c[0] not in ("password_ok", "wrong_password", "duress")],
        "evidence_kinds": Evidence.Kind.choices,
        "hold_choices": HOLD_CHOICES,
        "mine": mine, "supervisor": supervisor, "operators": operators,
        "active": alarm.is_active,
        "holder_abandoned": bool(alarm.taken_by_id and not mine and is_abandoned(alarm.taken_by_id)),
        "intrusion": selectors.is_intrusion(alarm),
    }


@staff_required
@require_GET
def alarm(request, pk: int):
    current = _alarm(request.user, pk)
    from alarms.console.queue import console_strings

    feed_config = {
        "alarm": current.pk, "user": request.user.pk, "ws": "/ws/console/",
        "snapshot": reverse("alarms:console_snapshot"), "events": reverse("alarms:console_events"),
        "status": reverse("alarms:alarm_section", args=[current.pk, "status"]),
        "body": reverse("alarms:alarm_section", args=[current.pk, "body"]),
        "console": reverse("alarms:console"), "strings": console_strings(),
    }
    return render(request, "alarms/console/handling.html",
                  handling_context(current, request.user) | {"feed_config": feed_config})


@staff_required
@require_GET
def section(request, pk: int, name: str):
    if name not in SECTIONS:
        raise Http404
    current = _alarm(request.user, pk)
    template = "alarms/console/handling_body.html" if name == "body" else f"alarms/console/sections/{name}.html"
    return render(request, template, handling_context(current, request.user))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# action name -> (section it changes, function(request, alarm_id) calling one service)
def _take(r, pk):
    return life.alarm_take(alarm_id=pk, operator=r.user, force=r.POST.get("force") == "1")


def _reassign(r, pk):
    target = get_user_model().objects.filter(pk=_int(r.POST.get("operator")), is_active=True).first()
    if target is None:
        raise life.AlarmError("Choisissez un opérateur.")
    return life.alarm_reassign(alarm_id=pk, supervisor=r.user, operator=target)


ACTIONS = {
    "take": ("status", _take),
    "release": ("status", lambda r, pk: life.alarm_release(alarm_id=pk, operator=r.user,
                                                           reason=r.POST.get("reason", ""))),
    "reassign": ("status", _reassign),
    "acknowledge": ("status", lambda r, pk: life.alarm_acknowledge(alarm_id=pk, operator=r.user)),
    "hold": ("status", lambda r, pk: life.alarm_hold(alarm_id=pk, operator=r.user, minutes=r.POST.get("minutes"),
                                                     reason=r.POST.get("reason", ""))),
    "comment": ("comments", lambda r, pk: life.alarm_comment(alarm_id=pk, operator=r.user,
                                                             text=r.POST.get("text", ""))),
    "notify": ("comments", lambda r, pk: h.alarm_client_notify(alarm_id=pk, operator=r.user,
                                                               note=r.POST.get("note", ""),
                                                               channel=r.POST.get("channel", "phone"))),
    "step_done": ("steps", lambda r, pk: h.alarm_step_done(alarm_id=pk, operator=r.user,
                                                           step_id=_int(r.POST.get("step")),
                                                           note=r.POST.get("note", ""))),
    "step_skip": ("steps", lambda r, pk: h.alarm_step_skip(alarm_id=pk, operator=r.user,
                                                           step_id=_int(r.POST.get("step")),
                                                           reason=r.POST.get("reason", ""))),
    "call": ("calls", lambda r, pk: h.alarm_call_record(
        alarm_id=pk, operator=r.user, outcome=r.POST.get("outcome", ""), contact_id=_int(r.POST.get("contact")),
        name=r.POST.get("name", ""), phone=r.POST.get("phone", ""),
        spoken_password=r.POST.get("password", ""), note=r.POST.get("note", ""))),
    "evidence": ("verification", lambda r, pk: h.alarm_evidence_add(alarm_id=pk, operator=r.user,
                                                                    kind=r.POST.get("kind", ""),
                                                                    text=r.POST.get("text", ""))),
    "public_call": ("public", lambda r, pk: h.alarm_public_service_call(
        alarm_id=pk, operator=r.user, service=r.POST.get("service", ""), reference=r.POST.get("reference", ""),
        note=r.POST.get("note", ""))),
    "close": ("gate", lambda r, pk: life.alarm_close(
        alarm_id=pk, operator=r.user, qualification=r.POST.get("qualification", ""),
        closure_code=r.POST.get("closure_code", ""), note=r.POST.get("note", ""))),
}


@staff_required
@require_POST
def action(request, pk: int, name: str):
    if name not in ACTIONS:
        raise Http404
    current = _alarm(request.user, pk)
    target, call = ACTIONS[name]
    error = None
    try:
        call(request, current.pk)
    except life.AlarmError as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("alarms:alarm", pk=current.pk)
    current = _alarm(request.user, pk)
    context = handling_context(current, request.user) | {"error": error, "error_section": target}
    if name in ("take", "release", "reassign", "close"):
        # The holder changed: every section's buttons change with it.
        body = render_to_string("alarms/console/handling_body.html", context, request=request)
        response = HttpResponse(body)
        response["HX-Retarget"] = "#handling"
        response["HX-Reswap"] = "outerHTML"
        return response
    parts = [render_to_string(f"alarms/console/sections/{target}.html", context, request=request)]
    for extra in ("status", "gate", "verif_badge"):
        if extra != target:
            parts.append(render_to_string(f"alarms/console/sections/{extra}.html",
                                          context | {"oob": True}, request=request))
    return HttpResponse("".join(parts))
