"""The timers watchdog: a system alarm when ticks stop, once; a restore when they resume."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse

from alarms.models import Alarm, SignalEvent
from dispatch.engine import record_tick
from dispatch.services.timers import timers_status, timers_watchdog
from logbook.models import LogEntry
from tests.builders import make_site
from tests.dispatch.conftest import process_intake

T0 = dt.datetime(2026, 6, 5, 3, 0, tzinfo=dt.UTC)


def test_outage_raises_one_alarm_and_restores(customer_a, settings):
    settings.TIMERS_STALE_SECONDS = 10
    make_site(customer_a, code="ARC", name="Centre ARC (système)")
    with time_machine.travel(T0, tick=False) as clock:
        assert timers_watchdog(source="test") == "never"
        record_tick({"fired": 0})
        assert timers_watchdog(source="test") == "ok" and timers_status()["ok"]
        clock.shift(10)
        assert timers_watchdog(source="test") == "ok"
        clock.shift(1)
        assert timers_status()["ok"] is False
        assert timers_watchdog(source="beat") == "raised"
        assert timers_watchdog(source="web") == "ongoing"
        process_intake()
        alarm = Alarm.objects.get(site__code="ARC")
        assert alarm.priority == 1 and alarm.state == "open"
        assert LogEntry.objects.filter(action="timers.outage").count() == 1
        clock.shift(30)
        record_tick({"fired": 0})
        assert timers_watchdog(source="web") == "restored"
        assert timers_watchdog(source="web") == "ok"
        restore = SignalEvent.objects.filter(signal__site__code="ARC", qualifier="restore")
        assert restore.count() == 1
        assert LogEntry.objects.filter(action="timers.restored").count() == 1


def test_timers_health_endpoint(operator, client_a, client):
    url = reverse("dispatch:timers_health")
    client.force_login(client_a)
    assert client.get(url).status_code == 403
    client.force_login(operator)
    record_tick({"fired": 0})
    data = client.get(url).json()
    assert data["ok"] is True and data["ticks"] >= 1 and data["age_seconds"] < 5
