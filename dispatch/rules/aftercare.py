"""Deadlines around an alarm's life that are not the ladder:

- new alarms whose consignes hold automatic steps start their call-outs. The
  trigger is the feed itself (``created`` rows, read by id like a console
  does): intake stays unaware of dispatch, and a call-out missed while the
  workers were down starts when they come back.
- ``Alarm.normal_check_due_at`` (set by alarm_close when the site was not back
  to normal): check again; still not normal → a new alarm.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.db.models import Max, Min
from django.utils.translation import gettext as _

from alarms.models import Alarm, AlarmEvent
from dispatch import system_signals
from dispatch.engine import Rule, claim, register
from dispatch.models import TimerState
from dispatch.services.callouts import callouts_start_for_alarm
from logbook.models import Category
from logbook.services import entry_append

CURSOR = "feed_cursor"
# Feed ids are allocated before commit: re-read this window so that a row
# committed after a higher id is never skipped. Handlers are idempotent.
OVERLAP = dt.timedelta(seconds=60)
_seen: OrderedDict[int, None] = OrderedDict()
SEEN_MAX = 20000


def _created_candidates(now, excluded, limit):
    cursor = TimerState.objects.filter(name=CURSOR).values_list("value", flat=True).first()
    if cursor is None:
        cursor = TimerState.objects.get_or_create(name=CURSOR, defaults={"value": _initial_cursor()})[0].value
    rows = list(AlarmEvent.objects.filter(id__gt=cursor, kind="created").order_by("id")
                .values_list("id", "alarm_id")[:1000])
    safe = AlarmEvent.objects.filter(id__gt=cursor, created_at__lt=now - OVERLAP).aggregate(m=Max("id"))["m"]
    if len(rows) == 1000:
        safe = min(safe or rows[-1][0], rows[-1][0])
    candidates = []
    for event_id, alarm_id in rows:
        if alarm_id in excluded:
            safe = min(safe, event_id - 1) if safe else None
            continue
        if alarm_id is None or alarm_id in _seen:
            continue
        candidates.append(alarm_id)
    if safe and safe > cursor:
        TimerState.objects.filter(name=CURSOR, value__lt=safe).update(value=safe, at=now)
    return candidates[:limit * 5]


def _initial_cursor() -> int:
    # A fresh install does not call out for alarms older than the overlap window.
    return AlarmEvent.objects.filter(created_at__lt=_now() - OVERLAP).aggregate(m=Max("id"))["m"] or 0


def _now():
    from django.utils import timezone

    return timezone.now()


def _created_fire(pk, now) -> bool:
    started = callouts_start_for_alarm(alarm_id=pk)
    _seen[pk] = None  # handled by this process (on failure it raised: retried after backoff)
    while len(_seen) > SEEN_MAX:
        _seen.popitem(last=False)
    return bool(started)


def _normal_candidates(now, excluded, limit):
    return list(Alarm.objects.filter(normal_check_due_at__lte=now).exclude(pk__in=excluded)
                .order_by("normal_check_due_at").values_list("pk", flat=True)[:limit])


def _normal_fire(pk, now) -> bool:
    from alarms.selectors import back_to_normal

    alarm = claim(Alarm, pk, normal_check_due_at__lte=now)
    if alarm is None:
        return False
    Alarm.objects.filter(pk=pk).update(normal_check_due_at=None)
    if alarm.state != Alarm.State.CLOSED or alarm.site_id is None:
        return False
    alarm = Alarm.objects.select_related("site__customer").get(pk=pk)
    normal = back_to_normal(alarm)
    if normal["normal"]:
        entry_append(action="alarm.back_to_normal", category=Category.ALARM, alarm=alarm, site=alarm.site,
                     customer=alarm.customer, new=normal,
                     message=_("Site revenu à la normale après la clôture de l'alarme"))
        return True
    failing = ", ".join(c["key"] for c in normal["checks"] if not c["ok"])
    system_signals.submit(site=alarm.site, protocol="ARC", category="alarm", priority=3, text=_(
        "Site non revenu à la normale après l'alarme A%(id)s (%(what)s)") % {"id": pk, "what": failing})
    entry_append(action="alarm.not_normal", category=Category.ALARM, alarm=alarm, site=alarm.site,
                 customer=alarm.customer, new=normal,
                 message=_("Site toujours pas revenu à la normale (%(what)s) : nouvelle alarme") % {"what": failing})
    return True


def _normal_next():
    return Alarm.objects.filter(normal_check_due_at__isnull=False).aggregate(m=Min("normal_check_due_at"))["m"]


register(Rule("callout_start", _created_candidates, _created_fire, every=0.5))
register(Rule("normal_check", _normal_candidates, _normal_fire, _normal_next))
