"""Reads of alarms shared by the console views, the consumer and exports,
with the permission filter applied (``alarms_visible_to``).

The feed is read by id with an overlap window. Event ids come from a sequence
and are allocated before commit, so a reader can see N+1 committed while N is
still in flight. Readers remember the ids they skipped and read again from
just below the lowest of them for a while (alarms/feed_window.py, and the
same in the browser); they de-duplicate by id and keep the highest
``Alarm.version`` they saw of each alarm, so applying an event twice, or
late, changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from alarms.models import Alarm, AlarmEvent, CallAttempt, Evidence, SignalEvent
from alarms.models.handling import CallOutcome, PublicService
from sites.roles import is_staff_member
from sites.selectors import customers_visible_to, sites_visible_to

FEED_PAGE = 500

# Ageing colours of the queue: (warning after, critical after) in seconds, per priority.
AGEING = {1: (30, 60), 2: (60, 180), 3: (120, 300), 4: (300, 900), 5: (600, 1800)}
AGEING_DEFAULT = (900, 3600)


def ageing_thresholds() -> dict:
    return {str(p): list(t) for p, t in AGEING.items()} | {"default": list(AGEING_DEFAULT)}


def alarms_visible_to(user) -> QuerySet[Alarm]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Alarm.objects.none()
    if is_staff_member(user):
        return Alarm.objects.all()
    return Alarm.objects.filter(site_id__in=sites_visible_to(user).values("pk"))


def queue_for(user) -> QuerySet[Alarm]:
    """The live queue: active alarms, priority first (1 is the most urgent), then age."""
    return (alarms_visible_to(user).filter(state__in=Alarm.ACTIVE_STATES)
            .select_related("site", "customer", "zone", "taken_by")
            .order_by("priority", "created_at", "id"))


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _alarm_url(pk: int) -> str:
    return reverse("alarms:alarm", args=[0]).replace("/0/", f"/{pk}/")


def alarm_row(alarm: Alarm) -> dict:
    """One alarm as the console's queue shows it (JSON)."""
    site = alarm.site
    return {
        "id": alarm.pk,
        "version": alarm.version,
        "state": alarm.state,
        "state_label": str(alarm.get_state_display()),
        "priority": alarm.priority,
        "category": alarm.category,
        "category_label": str(alarm.get_category_display()),
        "kind": alarm.kind,
        "title": alarm.title,
        "code": alarm.code,
        "zone": f"{alarm.zone.number} {alarm.zone.label}" if alarm.zone_id and alarm.zone else "",
        "site": site.name if site else (alarm.account and f"#{alarm.account}") or "",
        "city": site.city if site else "",
        "region": site.region if site else "",
        "customer": alarm.customer.name if alarm.customer_id and alarm.customer else "",
        "created_at": alarm.created_at.isoformat() if alarm.created_at else None,
        "taken_by": alarm.taken_by_id,
        "taken_by_name": _name(alarm.taken_by) if alarm.taken_by_id else "",
        "hold_until": alarm.hold_until.isoformat() if alarm.hold_until else None,
        "acknowledged": alarm.acknowledged_at is not None,
        "signal_count": alarm.signal_count,
        "url": _alarm_url(alarm.pk),
    }


def feed_cursor() -> int:
    return AlarmEvent.objects.aggregate(m=Max("id"))["m"] or 0


def snapshot(user) -> dict:
    """The queue with the feed cursor read FIRST: anything after the cursor is
    fetched again by the console, so nothing between the two reads is lost."""
    cursor = feed_cursor()
    return {"cursor": cursor, "alarms": [alarm_row(a) for a in queue_for(user)],
            "server_time": timezone.now().isoformat()}


def _events_visible_to(user) -> QuerySet[AlarmEvent]:
    if user is None or not user.is_authenticated or not user.is_active:
        return AlarmEvent.objects.none()
    if is_staff_member(user):
        return AlarmEvent.objects.all()
    return AlarmEvent.objects.filter(customer_id_copy__in=customers_visible_to(user).values("pk"))


def feed_after(user, after: int, *, limit: int = FEED_PAGE) -> dict:
    """Events with an id above ``after``, oldest first. Readers pass the id just
    below the lowest id they skipped (their overlap window), not their cursor."""
    after = max(int(after), 0)
    events = list(_events_visible_to(user).filter(id__gt=after).order_by("id")[:limit])
    return {"events": events_payload(events), "cursor": max([after, *[e.pk for e in events]]),
            "more": len(events) == limit}


def feed_ids_for_staff(after: int, *, limit: int = 5000) -> list[int]:
    """Ids only (cheap), for the process-wide pump that serves staff sockets."""
    return list(AlarmEvent.objects.filter(id__gt=max(int(after), 0)).order_by("id")
                .values_list("id", flat=True)[:limit])


def events_by_ids(ids) -> list[dict]:
    return events_payload(list(AlarmEvent.objects.filter(pk__in=list(ids)).order_by("id")))


def events_payload(events: list[AlarmEvent]) -> list[dict]:
    """Each event with the CURRENT state of its alarm (versioned)."""
    ids = {e.alarm_id for e in events if e.alarm_id}
    alarms = {a.pk: a for a in Alarm.objects.filter(pk__in=ids).select_related("site", "customer", "zone",
                                                                                 "taken_by")}
    out = []
    for e in events:
        alarm = alarms.get(e.alarm_id)
        out.append({"id": e.pk, "kind": e.kind, "alarm_id": e.alarm_id, "actor": e.actor_name,
                    "at": e.created_at.isoformat() if e.created_at else None, "data": e.data,
                    "alarm": alarm_row(alarm) if alarm else None})
    return out


# --- the handling view ---------------------------------------------------------

def recent_signals(alarm: Alarm, limit: int = 15) -> list[SignalEvent]:
    if not alarm.site_id:
        return list(SignalEvent.objects.filter(alarm=alarm).select_related("signal").order_by("-id")[:limit])
    return list(SignalEvent.objects.filter(site_id=alarm.site_id).select_related("signal", "zone_ref")
                .order_by("-id")[:limit])


def site_last_alarms(alarm: Alarm, limit: int = 8) -> list[Alarm]:
    if not alarm.site_id:
        return []
    return list(Alarm.objects.filter(site_id=alarm.site_id).exclude(pk=alarm.pk)
                .select_related("closed_by").order_by("-created_at")[:limit])


def site_open_faults(site) -> list:
    if site is None:
        return []
    try:
        from alarms.selectors_faults import open_faults
    except ImportError:  # INTAKE's selector not there yet
        return []
    return list(open_faults(site))


def back_to_normal(alarm: Alarm) -> dict:
    """Before closing: zones restored, site re-armed, faults cleared."""
    site = alarm.site
    checks = []
    if alarm.zone_id or alarm.restore_pending or alarm.restored_at:
        restored = alarm.restored_at is not None and not alarm.restore_pending
        checks.append({"key": "restored", "ok": restored})
    if site is not None:
        armed = site.armed_state in ("armed", "partial")
        if alarm.category in ("alarm", "tamper") or site.armed_state != "unknown":
            checks.append({"key": "armed", "ok": armed, "state": site.armed_state})
        faults = site_open_faults(site)
        checks.append({"key": "faults", "ok": not faults, "count": len(faults)})
    return {"normal": all(c["ok"] for c in checks), "checks": checks}


# The levée de doute required before calling the police for an intrusion alarm.
GATED_SERVICES = (PublicService.POLICE, PublicService.GENDARMERIE, PublicService.EMERGENCY)
ANSWERED_OUTCOMES = set(CallOutcome.values)


def is_intrusion(alarm: Alarm) -> bool:
    zone_type = alarm.zone.zone_type if alarm.zone_id and alarm.zone else ""
    return alarm.category == "alarm" or zone_type == "intrusion"


def verification_status(alarm: Alarm) -> dict:
    """Whether the police may be called: video seen, or two call attempts with
    their outcomes, or a written justification."""
    evidence = list(Evidence.objects.filter(alarm=alarm).order_by("id"))
    calls = list(CallAttempt.objects.filter(alarm=alarm, outcome__in=ANSWERED_OUTCOMES).order_by("id"))
    video = [e for e in evidence if e.kind in (Evidence.Kind.VIDEO_SEEN, Evidence.Kind.AUDIO, Evidence.Kind.WITNESS)]
    written = [e for e in evidence if e.kind == Evidence.Kind.JUSTIFICATION]
    reasons = []
    if video:
        reasons.append("video")
    if len(calls) >= 2:
        reasons.append("calls")
    if written:
        reasons.append("justification")
    return {"required": is_intrusion(alarm), "satisfied": bool(reasons) or not is_intrusion(alarm),
            "reasons": reasons, "evidence": [e.pk for e in evidence], "calls": [c.pk for c in calls]}


def storm_logged(*, since=None, limit: int = 300) -> QuerySet[SignalEvent]:
    """Signals auto-logged by storm mode (still in the journal and the logbook)."""
    since = since or timezone.now() - dt.timedelta(hours=24)
    return (SignalEvent.objects.filter(disposition=SignalEvent.Disposition.STORM, signal__received_at__gte=since)
            .select_related("signal", "site").order_by("-id")[:limit])
