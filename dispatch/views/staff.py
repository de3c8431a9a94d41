"""Staff views: the dispatch page, the two handling-view panels, their actions,
and the timers' health."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alarms.console.access import staff_required
from alarms.models import Alarm
from alarms.selectors import alarms_visible_to
from dispatch import selectors
from dispatch.links import guard_link
from dispatch.services import callouts as callout_services
from dispatch.services import interventions as intervention_services
from dispatch.services.timers import timers_status, timers_watchdog
from sites.models import InterventionProvider


def _alarm(request, pk: int) -> Alarm:
    return get_object_or_404(alarms_visible_to(request.user).select_related("site", "customer"), pk=pk)


@require_GET
@staff_required
def home(request):
    return render(request, "dispatch/home.html", {
        "interventions": list(selectors.running_interventions(request.user)),
        "callouts": list(selectors.running_callouts(request.user)),
        "timers": timers_status(),
    })


@require_GET
@staff_required
def timers_health(request):
    # The watchdog also runs here: if beat itself is dead, the consoles' polling notices.
    timers_watchdog(source="web")
    return JsonResponse(timers_status())


def _callouts_panel(request, alarm: Alarm, *, error: str = "", status: int = 200) -> HttpResponse:
    callouts = selectors.callouts_of_alarm(request.user, alarm)
    list_running = any(c.reason == "call_list" and c.state == "running" for c in callouts)
    return render(request, "dispatch/panel_callouts.html", {
        "alarm": alarm, "callouts": callouts, "error": error,
        "can_start": alarm.is_active and alarm.site_id is not None and not list_running}, status=status)


@require_GET
@staff_required
def alarm_callouts(request, alarm_id: int):
    return _callouts_panel(request, _alarm(request, alarm_id))


@require_POST
@staff_required
def callout_start(request, alarm_id: int):
    alarm = _alarm(request, alarm_id)
    try:
        callout_services.callout_start_manual(alarm_id=alarm.pk, operator=request.user)
    except callout_services.CallOutError as exc:
        return _callouts_panel(request, alarm, error=str(exc), status=409)
    return _callouts_panel(request, alarm)


@require_POST
@staff_required
def callout_cancel(request, alarm_id: int, callout_id: int):
    alarm = _alarm(request, alarm_id)
    get_object_or_404(alarm.callouts, pk=callout_id)
    try:
        callout_services.callout_cancel(callout_id=callout_id, operator=request.user)
    except callout_services.CallOutError as exc:
        return _callouts_panel(request, alarm, error=str(exc), status=409)
    return _callouts_panel(request, alarm)


def _interventions_panel(request, alarm: Alarm, *, error: str = "", status: int = 200) -> HttpResponse:
    providers = [p for p in InterventionProvider.objects.filter(active=True)
                 if alarm.site is None or p.covers(alarm.site.region)]
    interventions = selectors.interventions_of_alarm(request.user, alarm)
    for intervention in interventions:
        intervention.link = guard_link(intervention.pk, intervention.link_nonce)
    return render(request, "dispatch/panel_interventions.html", {
        "alarm": alarm, "interventions": interventions, "providers": providers, "error": error}, status=status)


@require_GET
@staff_required
def alarm_interventions(request, alarm_id: int):
    return _interventions_panel(request, _alarm(request, alarm_id))


@require_POST
@staff_required
def intervention_request(request, alarm_id: int):
    alarm = _alarm(request, alarm_id)
    try:
        provider_id = int(request.POST.get("provider", ""))
        eta = int(request.POST["eta_minutes"]) if request.POST.get("eta_minutes") else None
    except ValueError:
        return _interventions_panel(request, alarm, error=_("Choisissez une société et un délai en minutes."),
                                    status=400)
    try:
        intervention_services.intervention_request(
            alarm_id=alarm.pk, provider_id=provider_id, operator=request.user,
            instructions=request.POST.get("instructions", ""), eta_minutes=eta)
    except intervention_services.InterventionError as exc:
        return _interventions_panel(request, alarm, error=str(exc), status=409)
    return _interventions_panel(request, alarm)


@require_POST
@staff_required
def intervention_update(request, alarm_id: int, intervention_id: int):
    """An operator records what the guard said on the phone (accepted, en route, on site) or closes."""
    alarm = _alarm(request, alarm_id)
    get_object_or_404(alarm.interventions, pk=intervention_id)
    action = request.POST.get("action", "")
    try:
        if action == "close":
            intervention_services.intervention_close(intervention_id=intervention_id, operator=request.user)
        else:
            intervention_services.intervention_advance(intervention_id=intervention_id, state=action,
                                                       operator=request.user)
    except intervention_services.InterventionError as exc:
        return _interventions_panel(request, alarm, error=str(exc), status=409)
    return _interventions_panel(request, alarm)
