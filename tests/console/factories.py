"""Alarms for console tests, written the way intake writes them (row + feed
row + logbook entry in one transaction), for tests that are not about intake."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alarms.feed import feed_record
from alarms.models import Alarm
from logbook.models import Category
from logbook.services import entry_append


def make_alarm(site, *, category: str = "alarm", priority: int = 3, title: str = "Intrusion",
               zone=None, code: str = "BA", **fields) -> Alarm:
    with transaction.atomic():
        alarm = Alarm.objects.create(site=site, customer=site.customer if site else None, zone=zone,
                                     category=category, priority=priority, title=title, code=code,
                                     first_signal_at=timezone.now(), last_signal_at=timezone.now(), **fields)
        alarm.refresh_from_db()
        feed_record(alarm=alarm, kind="created", actor_name="ARC")
        entry_append(action="alarm.created", category=Category.ALARM, message=title, alarm=alarm, site=site,
                     customer=alarm.customer,
                     new={"priority": priority, "category": category, "kind": alarm.kind,
                          "source": alarm.source, "code": code, "zone": zone.number if zone else ""})
    return alarm
