"""Line supervision, missing periodic tests, the end of a mise en test and
faults left open, with frozen time."""

from __future__ import annotations

import datetime as dt

import time_machine

from alarms.models import Alarm, Signal, SignalEvent
from dispatch.models import CallOut
from logbook.models import LogEntry
from sites.models import Site, Transmitter
from sites.services import site_set_test, transmitter_seen
from tests.builders import make_contact, make_transmitter
from tests.dispatch.conftest import process_intake, raise_alarm, tick

T0 = dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC)


def timer_events(code: str):
    return SignalEvent.objects.filter(signal__peer="arc-timers", code=code)


def test_line_fault_then_restore(ladder, site_a):
    with time_machine.travel(T0, tick=False) as clock:
        transmitter = make_transmitter(site_a, supervision_seconds=180)
        transmitter_seen(transmitter_ids=[transmitter.pk], at=T0)
        clock.shift(179)
        tick()
        assert not timer_events("YS").exists()
        clock.shift(1)
        tick()
        tick()
        assert timer_events("YS").count() == 1
        transmitter.refresh_from_db()
        assert transmitter.line_fault is True
        process_intake()
        alarm = Alarm.objects.get(site=site_a, code="YS")
        assert alarm.transmitter_id == transmitter.pk
        clock.shift(600)
        tick()
        assert timer_events("YS").count() == 1, "one fault, one alarm: not one per tick"
        # The panel comes back: any message restarts supervision, the restore follows.
        transmitter_seen(transmitter_ids=[transmitter.pk], at=T0 + dt.timedelta(seconds=800))
        tick()
        assert timer_events("YK").count() == 1
        assert timer_events("YK").get().qualifier == "restore"
        transmitter.refresh_from_db()
        assert transmitter.line_fault is False
        process_intake()
        alarm.refresh_from_db()
        assert alarm.restored_at is not None


def test_missing_periodic_test_raises_xx_each_period(site_a):
    with time_machine.travel(T0, tick=False) as clock:
        transmitter = make_transmitter(site_a, test_interval_seconds=86400)
        transmitter_seen(transmitter_ids=[transmitter.pk], at=T0, test=True)
        clock.shift(86399)
        tick()
        assert not timer_events("XX").exists()
        clock.shift(1)
        tick()
        assert timer_events("XX").count() == 1
        transmitter.refresh_from_db()
        assert transmitter.test_due_at == T0 + dt.timedelta(days=2)
        process_intake()
        assert Alarm.objects.filter(site=site_a, code="XX").count() == 1
        # The test arrives: the next one is expected a period later, nothing raised meanwhile.
        transmitter_seen(transmitter_ids=[transmitter.pk], at=T0 + dt.timedelta(days=1, hours=1), test=True)
        clock.shift(86400 - 1)
        tick()
        assert timer_events("XX").count() == 1


def test_site_leaves_test_mode_by_itself_and_signals_are_handled_again(ladder, site_a, operator):
    with time_machine.travel(T0, tick=False) as clock:
        site_set_test(site=site_a, until=T0 + dt.timedelta(hours=2), actor=operator, reason="maintenance")
        from alarms.services.intake import signal_submit

        signal_submit(source="api", site=site_a, process_now=True,  # on test: logged, no alarm
                      events=[{"protocol": "SIA-DCS", "code": "BA", "qualifier": "new", "zone": "1"}])
        assert not Alarm.objects.filter(site=site_a).exists()
        clock.shift(dt.timedelta(hours=2))
        tick()
        site_a.refresh_from_db()
        assert site_a.monitoring_state == Site.Monitoring.IN_SERVICE and site_a.test_until is None
        entry = LogEntry.objects.get(action="site.test_end", site_id=site_a.pk)
        assert "échéance" in entry.message
        alarm = raise_alarm(site_a, code="BA")
        assert alarm.state == Alarm.State.OPEN
        tick()
        assert LogEntry.objects.filter(action="site.test_end").count() == 1


def test_fault_left_open_notifies_the_installer_once(site_a, settings):
    settings.FAULT_NOTICE_MINUTES = 60
    installer = make_contact(site_a, name="Sécurité Services Installateur", role="installer",
                             email="sav@installateur.example", in_call_list=False)
    Site.objects.filter(pk=site_a.pk).update(installer=installer)
    with time_machine.travel(T0, tick=False) as clock:
        from alarms.services.faults import fault_touch

        fault, _opened = fault_touch(site=site_a, transmitter=None, kind="battery", zone="", code="YT", at=T0)
        from alarms.models import Fault

        Fault.objects.filter(pk=fault.pk).update(opened_at=T0)
        clock.shift(dt.timedelta(minutes=59))
        tick()
        assert not CallOut.objects.exists()
        clock.shift(dt.timedelta(minutes=1))
        tick()
        tick()
        callout = CallOut.objects.get(fault_id=fault.pk)
        assert callout.reason == CallOut.Reason.FAULT
        assert sorted(callout.attempts.values_list("channel", "address")) == [
            ("email", "sav@installateur.example"), ("sms", "+33611223344")]
        assert LogEntry.objects.filter(action="fault.installer_notified", site_id=site_a.pk).count() == 1


def test_disabled_transmitter_is_not_supervised(site_a):
    with time_machine.travel(T0, tick=False) as clock:
        transmitter = make_transmitter(site_a, supervision_seconds=60, enabled=False)
        Transmitter.objects.filter(pk=transmitter.pk).update(line_due_at=T0)
        clock.shift(120)
        tick()
        assert not Signal.objects.filter(peer="arc-timers").exists()
