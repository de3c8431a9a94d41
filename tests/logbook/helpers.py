"""Logbook fixtures: entries at chosen times, with a valid chain.

Services take the time from the database clock; reports need alarms whose
steps are seconds apart at known moments. ``append_at`` writes exactly what
``entries_append`` writes (same hash, same chain head move) but with the
timestamp given, so verify_logbook still passes over fixtures.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import connection, transaction

from logbook.chain import entry_hash
from logbook.models import ChainHead, LogEntry
from logbook.services import Entry

_alarm_ids = itertools.count(9000)


def append_at(moment: dt.datetime, **kwargs) -> LogEntry:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_hash, count FROM logbook_chainhead WHERE id = 1 FOR UPDATE")
            prev_hash, count = cursor.fetchone()
        values = Entry(**kwargs).values()
        digest = entry_hash(values, created_at=moment, prev_hash=prev_hash)
        entry = LogEntry.objects.create(created_at=moment, prev_hash=prev_hash, hash=digest, **values)
        ChainHead.objects.filter(pk=1).update(last_id=entry.pk, last_hash=digest, count=count + 1)
    return entry


def alarm_story(*, at: dt.datetime, site=None, customer=None, priority: int = 2, category: str = "intrusion",
                taken_after: float | None = 20, operator=None, closed_after: float | None = 300,
                qualification: str = "real", alarm_id: int | None = None) -> int:
    """The three entries INTAKE and CONSOLE write for one alarm (contracts.md)."""
    alarm_id = alarm_id or next(_alarm_ids)
    alarm = (alarm_id, f"Alarme n° {alarm_id}")
    append_at(at, action="alarm.created", category="alarm", message="Alarme créée", alarm=alarm, site=site,
              customer=customer, new={"priority": priority, "category": category, "kind": "alarm",
                                      "source": "dc09", "code": "BA", "zone": "1"})
    if taken_after is not None:
        append_at(at + dt.timedelta(seconds=taken_after), action="alarm.taken", category="alarm",
                  message="Alarme prise", alarm=alarm, site=site, customer=customer, actor=operator,
                  new={"first": True, "priority": priority, "category": category})
    if closed_after is not None:
        append_at(at + dt.timedelta(seconds=closed_after), action="alarm.closed", category="alarm",
                  message="Alarme clôturée", alarm=alarm, site=site, customer=customer, actor=operator,
                  new={"qualification": qualification, "closure_code": "", "priority": priority,
                       "category": category})
    return alarm_id
