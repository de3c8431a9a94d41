"""Reads of the dispatch app, with the permission filter applied."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alarms.models import Alarm
from dispatch.models import CallOut, CallOutAttempt, Intervention
from sites.roles import is_staff_member
from sites.selectors import sites_visible_to


def interventions_visible_to(user) -> QuerySet[Intervention]:
    return Intervention.objects.filter(site__in=sites_visible_to(user)).select_related(
        "provider", "site", "alarm", "requested_by")


def running_interventions(user) -> QuerySet[Intervention]:
    return interventions_visible_to(user).filter(state__in=Intervention.RUNNING).order_by("eta_at")


def running_callouts(user) -> QuerySet[CallOut]:
    return (CallOut.objects.filter(site__in=sites_visible_to(user), state=CallOut.State.RUNNING)
            .select_related("site", "alarm").order_by("created_at"))


def callouts_of_alarm(user, alarm: Alarm) -> list[CallOut]:
    if not is_staff_member(user):
        return []
    callouts = list(CallOut.objects.filter(alarm=alarm).order_by("id"))
    attempts: dict[int, list[CallOutAttempt]] = {}
    for attempt in CallOutAttempt.objects.filter(callout__in=callouts).order_by("id"):
        attempts.setdefault(attempt.callout_id, []).append(attempt)
    for callout in callouts:
        callout.attempt_list = attempts.get(callout.pk, [])
    return callouts


def interventions_of_alarm(user, alarm: Alarm) -> list[Intervention]:
    if not is_staff_member(user):
        return []
    return list(Intervention.objects.filter(alarm=alarm).select_related("provider").prefetch_related("photos")
                .order_by("id"))


def handover_lines(user) -> list[str]:
    """The handover section "running interventions": one line each, and running call-outs."""
    lines = []
    now = timezone.now()
    for i in running_interventions(user)[:50]:
        late = _(" — EN RETARD") if i.on_site_at is None and i.eta_at < now else ""
        lines.append(_("I%(id)s %(provider)s → %(site)s : %(state)s, arrivée promise %(eta)s%(late)s") % {
            "id": i.pk, "provider": i.provider.name, "site": i.site.name, "state": i.get_state_display(),
            "eta": timezone.localtime(i.eta_at).strftime("%H:%M"), "late": late})
    for c in running_callouts(user)[:50]:
        lines.append(_("Appel automatique en cours : %(site)s (A%(alarm)s), contact %(pos)s/%(n)s") % {
            "site": c.site.name, "alarm": c.alarm_id, "pos": c.position, "n": len(c.contact_ids)})
    return lines
