"""Health of the timer system, and the watchdog that raises a system alarm
when the tick stops.

The watchdog must not run *in* the tick (a dead tick cannot report its own
death): it runs in celery beat (dispatch.beat.Scheduler, every few seconds,
straight against PostgreSQL, so a dead worker pool or a dead Redis is seen)
and in the web process when a console polls ``dispatch:timers_health`` (so a
dead beat is seen too). Raising is idempotent: one alarm per outage, one
restore when ticks come back.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import TimerState
from logbook.models import Category
from logbook.services import entry_append

logger = logging.getLogger(__name__)

OUTAGE = "outage"


def timers_status(now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    tick = TimerState.objects.filter(name="tick").first()
    outage = TimerState.objects.filter(name=OUTAGE).first()
    last = tick.at if tick else None
    age = (now - last).total_seconds() if last else None
    stale = age is None or age > settings.TIMERS_STALE_SECONDS
    from dispatch.models import TimerFailure

    return {
        "ok": not stale,
        "last_tick_at": last.isoformat() if last else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "stale_after_seconds": settings.TIMERS_STALE_SECONDS,
        "ticks": tick.value if tick else 0,
        "outage_since": outage.at.isoformat() if outage and outage.value else None,
        "failing_deadlines": TimerFailure.objects.count(),
    }


def _system_site():
    """The site that carries the centre's own alarms (intake needs one)."""
    from sites.services import system_site

    return system_site()


def timers_watchdog(*, source: str, now: dt.datetime | None = None) -> str:
    """Compare the last tick with now; raise or restore the outage once. Returns
    "ok", "raised", "restored", "ongoing" or "never" (no tick yet: a fresh install)."""
    now = now or timezone.now()
    with transaction.atomic():
        tick = TimerState.objects.filter(name="tick").first()
        if tick is None or tick.at is None:
            return "never"
        outage, _created = TimerState.objects.select_for_update().get_or_create(name=OUTAGE)
        age = (now - tick.at).total_seconds()
        stale = age > settings.TIMERS_STALE_SECONDS
        if stale and not outage.value:
            outage.value, outage.at, outage.detail = 1, now, {"last_tick_at": tick.at.isoformat(), "seen_by": source}
            outage.save()
            message = _("Temporisations arrêtées : aucun tick depuis %(s)s s (escalades, rappels et supervisions "
                        "en retard)") % {"s": int(age)}
            _submit(message, qualifier="new")
            entry_append(action="timers.outage", category=Category.SYSTEM, actor_name="ARC",
                         new={"last_tick_at": tick.at, "seen_by": source}, message=message)
            logger.error("timer outage: last tick %s s ago (seen by %s)", int(age), source)
            return "raised"
        if not stale and outage.value:
            since = outage.at
            outage.value, outage.detail = 0, {"restored_at": now.isoformat(), "seen_by": source}
            outage.save()
            message = _("Temporisations rétablies (arrêt depuis %(since)s)") % {
                "since": timezone.localtime(since).strftime("%H:%M:%S") if since else "?"}
            _submit(message, qualifier="restore")
            entry_append(action="timers.restored", category=Category.SYSTEM, actor_name="ARC",
                         new={"outage_since": since, "seen_by": source}, message=message)
            return "restored"
    return "ongoing" if stale else "ok"


def _submit(text: str, *, qualifier: str) -> None:
    site = _system_site()
    if site is None:  # no centre site configured: the logbook entry and /health/ still say it
        logger.error("no system site (%s) to carry the timer alarm: %s", settings.SYSTEM_SITE_CODE, text)
        return
    from dispatch import system_signals

    # One zone name for the outage and its restore, so intake pairs them.
    system_signals.submit(site=site, protocol="ARC", category="trouble", priority=1, text=text,
                          qualifier=qualifier, zone="TIMERS")
