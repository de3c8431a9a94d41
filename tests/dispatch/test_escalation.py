"""The escalation ladder, with frozen time."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from alarms.models import Alarm, AlarmEvent
from alarms.services.lifecycle import alarm_hold, alarm_take
from logbook.models import LogEntry
from tests.dispatch.conftest import raise_alarm, tick

T0 = dt.datetime(2026, 3, 10, 22, 0, tzinfo=dt.UTC)


def escalations(alarm):
    return list(AlarmEvent.objects.filter(alarm=alarm, kind="escalated").order_by("id").values_list("data", flat=True))


def test_fire_alarm_climbs_the_ladder_each_rung_once(ladder, site_a):
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="FA")
        assert alarm.priority == 1
        tick()  # arms the ladder
        alarm.refresh_from_db()
        assert alarm.escalation_due_at == timezone.now() + dt.timedelta(seconds=30)
        clock.shift(29)
        tick()
        assert escalations(alarm) == []
        clock.shift(1)
        tick()
        tick()  # a second pass in the same second fires nothing more
        [first] = escalations(alarm)
        assert first["level"] == 1 and first["audience"] == "operators" and first["colour"] == "red"
        clock.shift(30)
        tick()
        assert [e["level"] for e in escalations(alarm)] == [1, 2]
        assert escalations(alarm)[1]["audience"] == "supervisors"
        alarm.refresh_from_db()
        assert alarm.escalation_level == 2
        entries = LogEntry.objects.filter(alarm_id=alarm.pk, action="alarm.escalated")
        assert entries.count() == 2
        assert "Escalade niveau 2" in entries.order_by("id").last().message


def test_top_rung_repeats_until_taken(ladder, site_a, operator):
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="FA")
        tick()
        for seconds in (30, 30, 60):  # rungs at 30 s, 60 s, 120 s
            clock.shift(seconds)
            tick()
        assert [e["level"] for e in escalations(alarm)] == [1, 2, 3]
        clock.shift(60)
        tick()
        assert [e["level"] for e in escalations(alarm)] == [1, 2, 3, 3]
        assert escalations(alarm)[-1]["repeat"] is True
        alarm_take(alarm_id=alarm.pk, operator=operator)
        clock.shift(600)
        tick()
        assert len(escalations(alarm)) == 4
        alarm.refresh_from_db()
        assert alarm.escalation_due_at is None


def test_taken_alarm_does_not_escalate_and_ladder_restarts_after_hold(ladder, site_a, operator):
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="BA")
        assert alarm.priority == 3
        tick()
        clock.shift(10)
        alarm_take(alarm_id=alarm.pk, operator=operator)
        clock.shift(120)
        tick()
        assert escalations(alarm) == []
        alarm_hold(alarm_id=alarm.pk, operator=operator, minutes=5, reason="Rappel du client")
        clock.shift(5 * 60)
        tick()  # hold returns (CONSOLE's alarm_hold_expire)
        alarm.refresh_from_db()
        assert alarm.state == Alarm.State.OPEN and alarm.hold_until is None
        assert AlarmEvent.objects.filter(alarm=alarm, kind="hold_returned").count() == 1
        tick()  # re-armed, counted from the return to the queue
        alarm.refresh_from_db()
        assert alarm.escalation_due_at == timezone.now() + dt.timedelta(seconds=60)
        clock.shift(60)
        tick()
        assert [e["level"] for e in escalations(alarm)] == [1]


def test_hold_return_fires_once(ladder, site_a, operator):
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a)
        alarm_take(alarm_id=alarm.pk, operator=operator)
        alarm_hold(alarm_id=alarm.pk, operator=operator, minutes=2, reason="Attente du client")
        clock.shift(119)
        tick()
        alarm.refresh_from_db()
        assert alarm.state == Alarm.State.HOLD
        clock.shift(1)
        tick()
        tick()
        assert AlarmEvent.objects.filter(alarm=alarm, kind="hold_returned").count() == 1
        assert LogEntry.objects.filter(alarm_id=alarm.pk, action="alarm.hold_returned").count() == 1


def test_poisoned_row_is_pushed_back_not_crash_looped(ladder, site_a, monkeypatch):
    from dispatch.models import TimerFailure
    from dispatch.rules import escalation as rule_module

    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="FA")
        other = raise_alarm(site_b_for(site_a), code="FA")
        tick()
        clock.shift(30)
        real = rule_module.alarm_escalate

        def broken(**kwargs):
            if kwargs["alarm_id"] == alarm.pk:
                raise RuntimeError("corrupt row")
            return real(**kwargs)

        monkeypatch.setattr(rule_module, "alarm_escalate", broken)
        tick()
        failure = TimerFailure.objects.get(kind="escalation", object_id=alarm.pk)
        assert failure.failures == 1 and "corrupt row" in failure.last_error
        assert len(escalations(other)) == 1  # the other alarm was not blocked
        tick()  # still backing off: not retried at once
        assert TimerFailure.objects.get(pk=failure.pk).failures == 1
        monkeypatch.setattr(rule_module, "alarm_escalate", real)
        clock.shift(3)
        tick()
        assert [e["level"] for e in escalations(alarm)] == [1]
        assert not TimerFailure.objects.filter(kind="escalation", object_id=alarm.pk).exists()


def site_b_for(site):
    from tests.builders import make_site

    return make_site(site.customer)
