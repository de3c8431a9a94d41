"""Schedule supervision (``SiteSchedule.next_check_at``):

- late to open: still armed at opening time + tolerance;
- late to close: not armed at closing time + tolerance;
- opened outside hours: disarmed outside every window (a little early counts
  as on time: the opening tolerance);
- early close: armed inside a window, more than the closing tolerance before
  it ends.

Sites with no opening hours are not supervised. Each site's next check is a
row; a periodic sweep (re)computes rows, so an edit in the admin is taken
into account within ``REFRESH`` at most.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import system_signals
from dispatch.engine import Rule, claim, register
from dispatch.models import SiteSchedule
from dispatch.schedule import Calendar
from sites.models import Site

REFRESH = dt.timedelta(minutes=10)
STALE = dt.timedelta(hours=1)
ARMED = (Site.Armed.ARMED, Site.Armed.PARTIAL)


def _local(moment: dt.datetime, site: Site) -> str:
    return timezone.localtime(moment, site.tz).strftime("%d/%m %H:%M")


def schedule_compute(site: Site, *, after: dt.datetime, state: SiteSchedule | None = None) -> SiteSchedule:
    calendar = Calendar(site)
    check = calendar.next_check(after) if calendar.has_hours() else None
    state = state or SiteSchedule.objects.filter(site=site).first() or SiteSchedule(site=site)
    state.next_check_at = check.at if check else None
    state.next_check = check.kind if check else ""
    state.window_start = check.window.opens if check else None
    state.window_end = check.window.closes if check else None
    if state.armed_seen_at is None:
        state.armed_seen_at = site.armed_changed_at or after
    state.save()
    return state


def _raise(site: Site, text: str, priority: int) -> None:
    system_signals.submit(site=site, protocol="ARC", category="supervision", priority=priority, text=text)


# --- the checks at opening / closing time --------------------------------------------------

def _check_candidates(now, excluded, limit):
    return list(SiteSchedule.objects.filter(next_check_at__lte=now).exclude(pk__in=excluded)
                .order_by("next_check_at").values_list("pk", flat=True)[:limit])


def _check_fire(pk, now) -> bool:
    state = claim(SiteSchedule, pk, next_check_at__lte=now)
    if state is None:
        return False
    site = Site.objects.get(pk=pk)
    fired = False
    # A check missed by more than STALE (timers down) says nothing about now: skip it.
    stale = now - state.next_check_at > STALE
    supervised = site.monitoring_state == Site.Monitoring.IN_SERVICE and not stale
    if supervised and state.next_check == SiteSchedule.Check.OPEN and site.armed_state in ARMED:
        _raise(site, _("Retard à l'ouverture : site toujours en service (armé) à %(t)s, ouverture prévue à %(o)s") % {
            "t": _local(now, site), "o": _local(state.window_start, site)}, 5)
        fired = True
    elif supervised and state.next_check == SiteSchedule.Check.CLOSE and site.armed_state == Site.Armed.DISARMED:
        _raise(site, _("Retard à la fermeture : site non mis en service à %(t)s, fermeture prévue à %(c)s") % {
            "t": _local(now, site), "c": _local(state.window_end, site)}, 5)
        fired = True
    schedule_compute(site, after=now if stale else state.next_check_at, state=state)
    return fired


def _check_next():
    return SiteSchedule.objects.aggregate(m=Min("next_check_at"))["m"]


# --- openings and closings judged against the hours ------------------------------------------

def _armed_candidates(now, excluded, limit):
    return list(SiteSchedule.objects.filter(site__armed_changed_at__gt=F("armed_seen_at"))
                .exclude(pk__in=excluded).values_list("pk", flat=True)[:limit])


def _armed_fire(pk, now) -> bool:
    state = claim(SiteSchedule, pk)
    if state is None:
        return False
    site = Site.objects.get(pk=pk)
    if site.armed_changed_at is None or (state.armed_seen_at and site.armed_changed_at <= state.armed_seen_at):
        return False
    at = site.armed_changed_at
    state.armed_seen_at = at
    state.save(update_fields=["armed_seen_at"])
    if site.monitoring_state != Site.Monitoring.IN_SERVICE:
        return False
    calendar = Calendar(site)
    if not calendar.has_hours():
        return False
    open_tol = dt.timedelta(minutes=site.open_tolerance_minutes)
    close_tol = dt.timedelta(minutes=site.close_tolerance_minutes)
    if site.armed_state == Site.Armed.DISARMED:
        if calendar.window_at(at, early=open_tol) is None:
            _raise(site, _("Ouverture hors horaires : site mis hors service le %(t)s") % {"t": _local(at, site)}, 4)
            return True
    elif site.armed_state in ARMED:
        window = calendar.window_at(at)
        if window is not None and at < window.closes - close_tol:
            _raise(site, _("Fermeture anticipée : site mis en service le %(t)s, fermeture prévue à %(c)s") % {
                "t": _local(at, site), "c": _local(window.closes, site)}, 6)
            return True
    return False


# --- keeping one row per supervised site, fresh ---------------------------------------------

def _refresh_candidates(now, excluded, limit):
    missing = (Site.objects.filter(opening_hours__isnull=False, schedule_state__isnull=True)
               .exclude(pk__in=excluded).values_list("pk", flat=True).distinct()[:limit])
    stale = (SiteSchedule.objects.filter(Q(computed_at__lt=now - REFRESH))
             .exclude(pk__in=excluded).order_by("computed_at").values_list("pk", flat=True)[:limit])
    return list(dict.fromkeys([*missing, *stale]))


def _refresh_fire(pk, now) -> bool:
    site = claim(Site, pk)
    if site is None:
        return False
    state = SiteSchedule.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    if state is not None and state.computed_at >= now - REFRESH:
        return False
    # Recompute from now: a check already due stays due (its row keeps the earlier time).
    if state is not None and state.next_check_at and state.next_check_at <= now:
        return False
    schedule_compute(site, after=now, state=state)
    return False


register(Rule("schedule_check", _check_candidates, _check_fire, _check_next))
register(Rule("schedule_armed", _armed_candidates, _armed_fire, every=1.0))
register(Rule("schedule_refresh", _refresh_candidates, _refresh_fire, every=30.0))
