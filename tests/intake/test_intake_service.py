"""Intake: signals become alarms (grouping, restores, open/close, test, faults, storm, runaway)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alarms.models import Alarm, AlarmEvent, CategoryIntakeSetting, Fault, Signal, SignalEvent, StormRule
from alarms.selectors_faults import open_faults
from alarms.services.intake import IntakeError, alarm_open_manual, process_pending, signal_submit
from logbook.models import LogEntry
from sites.models import PriorityOverride, Site
from tests.builders import make_transmitter, make_zone

pytestmark = pytest.mark.django_db


def sia(code, zone="", qualifier="new"):
    return {"protocol": "SIA-DCS", "code": code, "zone": zone, "qualifier": qualifier}


def cid(code, q="new", zone=""):
    return {"protocol": "ADM-CID", "code": code, "qualifier": q, "zone": zone}


def test_burglary_creates_alarm_with_feed_and_logbook(site_a):
    tx = make_transmitter(site_a, "5A3C")
    zone = make_zone(site_a, "17", label="Entrée")
    signal = signal_submit(source="system", transmitter=tx, events=[sia("BA", "017")], process_now=True)
    assert signal.process_state == Signal.ProcessState.DONE
    alarm = Alarm.objects.get(site=site_a)
    assert (alarm.category, alarm.priority, alarm.code, alarm.zone) == ("alarm", 3, "BA", zone)
    assert alarm.customer == site_a.customer and alarm.state == Alarm.State.OPEN
    assert AlarmEvent.objects.filter(alarm=alarm, kind="created").count() == 1
    entry = LogEntry.objects.get(action="alarm.created", alarm_id=alarm.pk)
    assert entry.new_values == {"priority": 3, "category": "alarm", "kind": "event", "source": "system",
                                "code": "BA", "zone": "17"}
    assert SignalEvent.objects.get(signal=signal).disposition == SignalEvent.Disposition.ALARM


def test_grouping_attaches_and_raises_priority(site_a):
    signal_submit(source="system", site=site_a, events=[sia("BA", "1")], process_now=True)
    signal_submit(source="system", site=site_a, events=[sia("FA", "3")], process_now=True)
    alarm = Alarm.objects.get(site=site_a)
    assert alarm.signal_count == 2 and alarm.priority == 1 and alarm.category == "fire"
    assert list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True)) == ["created", "signal"]
    assert LogEntry.objects.filter(action="alarm.signal_attached", alarm_id=alarm.pk).exists()


def test_restore_recorded_on_its_alarm(site_a):
    signal_submit(source="system", site=site_a, events=[cid("130", zone="015")], process_now=True)
    signal_submit(source="system", site=site_a, events=[cid("130", "restore", zone="15")], process_now=True)
    alarm = Alarm.objects.get(site=site_a)
    assert alarm.restored_at is not None and alarm.state == Alarm.State.OPEN
    assert AlarmEvent.objects.filter(alarm=alarm, kind="restore").exists()
    assert LogEntry.objects.filter(action="alarm.restore", alarm_id=alarm.pk).exists()


def test_restore_delay_closes_when_restored_in_time(site_a):
    CategoryIntakeSetting.objects.create(category="trouble", restore_delay_seconds=120)
    signal_submit(source="system", site=site_a, events=[sia("AT")], process_now=True)
    alarm = Alarm.objects.get(site=site_a)
    assert alarm.state == Alarm.State.HOLD and alarm.hold_until > timezone.now()
    assert open_faults(site_a).get().kind == Fault.Kind.MAINS
    signal_submit(source="system", site=site_a, events=[sia("AR")], process_now=True)
    alarm.refresh_from_db()
    assert alarm.state == Alarm.State.CLOSED and alarm.closure_code == "restored_within_delay"
    assert not open_faults(site_a).exists()


def test_trouble_repeated_does_not_flood(site_a):
    for _ in range(3):
        signal_submit(source="system", site=site_a, events=[sia("YT")], process_now=True)
    assert Alarm.objects.filter(site=site_a).count() == 1
    assert Fault.objects.get(site=site_a).signal_count == 3
    assert Alarm.objects.get(site=site_a).signal_count == 1


def test_open_close_sets_armed_state_without_alarm(site_a):
    signal_submit(source="system", site=site_a, events=[cid("401", "restore")], process_now=True)
    site_a.refresh_from_db()
    assert site_a.armed_state == Site.Armed.ARMED
    signal_submit(source="system", site=site_a, events=[sia("OP")], process_now=True)
    site_a.refresh_from_db()
    assert site_a.armed_state == Site.Armed.DISARMED
    assert not Alarm.objects.exists()


def test_site_on_test_logs_without_alarm(site_a, operator):
    from sites.services import site_set_test
    site_set_test(site=site_a, until=timezone.now() + dt.timedelta(hours=1), actor=operator)
    signal_submit(source="system", site=site_a, events=[sia("BA", "2")], process_now=True)
    assert not Alarm.objects.exists()
    assert SignalEvent.objects.get().disposition == SignalEvent.Disposition.ON_TEST
    assert LogEntry.objects.filter(action="signal.auto_logged").exists()


def test_out_of_service_logs_without_alarm(site_a):
    Site.objects.filter(pk=site_a.pk).update(monitoring_state=Site.Monitoring.OUT_OF_SERVICE)
    site_a.refresh_from_db()
    signal_submit(source="system", site=site_a, events=[sia("FA", "2")], process_now=True)
    assert not Alarm.objects.exists()


def test_periodic_test_restarts_test_supervision(site_a):
    tx = make_transmitter(site_a, "77", test_interval_seconds=86400)
    signal_submit(source="system", transmitter=tx, events=[cid("602")], process_now=True)
    tx.refresh_from_db()
    assert tx.last_test_at is not None and tx.test_due_at > timezone.now()
    assert not Alarm.objects.exists()


def test_priority_override_zone_beats_site_beats_customer(site_a):
    zone = make_zone(site_a, "4")
    PriorityOverride.objects.create(customer=site_a.customer, category="alarm", priority=6)
    PriorityOverride.objects.create(site=site_a, code="BA", priority=5)
    PriorityOverride.objects.create(zone=zone, category="alarm", priority=2)
    signal_submit(source="system", site=site_a, events=[sia("BA", "4")], process_now=True)
    assert Alarm.objects.get().priority == 2
    Alarm.objects.all().update(state=Alarm.State.CLOSED)
    signal_submit(source="system", site=site_a, events=[sia("BA", "9")], process_now=True)
    assert Alarm.objects.get(state="open").priority == 5


def test_storm_rule_auto_logs(site_a, supervisor):
    now = timezone.now()
    rule = StormRule.objects.create(created_by=supervisor, categories=["trouble"], min_priority=4,
                                    starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=1))
    signal_submit(source="system", site=site_a, events=[sia("AT")], process_now=True)
    assert not Alarm.objects.exists()
    rule.refresh_from_db()
    assert rule.matched_count == 1
    assert SignalEvent.objects.get().disposition == SignalEvent.Disposition.STORM


def test_runaway_transmitter_raises_one_alarm(site_a):
    tx = make_transmitter(site_a, "99", signals_per_minute=3)
    for i in range(8):
        signal_submit(source="system", transmitter=tx, events=[sia("BA", str(i))], process_now=True)
    kinds = sorted(Alarm.objects.values_list("kind", flat=True))
    assert kinds == ["event", "runaway"]
    assert SignalEvent.objects.filter(disposition=SignalEvent.Disposition.RUNAWAY).count() == 5
    # Fire still goes through.
    signal_submit(source="system", transmitter=tx, events=[sia("FA", "1")], process_now=True)
    assert Alarm.objects.get(kind="event").priority == 1


def test_category_without_code_and_bad_input(site_a):
    signal = signal_submit(source="video", site=site_a,
                           events=[{"category": "alarm", "priority": 3, "text": "Mouvement caméra 2"}],
                           process_now=True)
    alarm = Alarm.objects.get()
    assert alarm.kind == Alarm.Kind.CAMERA and alarm.source == "video" and signal.transport == "video"
    with pytest.raises(IntakeError):
        signal_submit(source="video", site=site_a, events=[{"category": "nope"}])
    with pytest.raises(IntakeError):
        signal_submit(source="video", site=site_a, events=[])


def test_worker_processes_pending_in_order_and_poisoned_signal_fails_alone(site_a, monkeypatch):
    from alarms.services import intake_rules
    first = signal_submit(source="system", site=site_a, events=[sia("BA", "1")])
    second = signal_submit(source="system", site=site_a, events=[sia("BA", "2")])
    original = intake_rules.process

    def poisoned(signal, at):
        if signal.pk == first.pk:
            raise RuntimeError("rule exploded")
        return original(signal, at)

    monkeypatch.setattr(intake_rules, "process", poisoned)
    assert process_pending() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.process_state == "failed" and "rule exploded" in first.process_error
    assert second.process_state == "done"
    assert Alarm.objects.count() == 1


def test_manual_alarm(site_a, operator):
    alarm = alarm_open_manual(site=site_a, operator=operator, category="medical", priority=2,
                              title="Appel de la gardienne : malaise", description="Au 3e étage")
    assert alarm.kind == Alarm.Kind.MANUAL and alarm.source == "manual"
    entry = LogEntry.objects.get(action="alarm.created", alarm_id=alarm.pk)
    assert entry.actor_id == operator.pk
    assert Signal.objects.get(transport="manual").events.get().alarm == alarm


def test_informational_and_test_events_never_alarm(site_a):
    signal_submit(source="api", site=site_a, events=[sia("RP")], process_now=True)  # no transmitter
    signal_submit(source="system", site=site_a, events=[cid("627")], process_now=True)  # programming, P9
    assert not Alarm.objects.exists()
    PriorityOverride.objects.create(site=site_a, code="627", priority=4)
    signal_submit(source="system", site=site_a, events=[cid("627")], process_now=True)
    assert Alarm.objects.get().priority == 4


def test_rejected_plain_frame_to_encrypted_account_raises_one_security_notice(site_a):
    tx = make_transmitter(site_a, "9101", key="00112233445566778899AABBCCDDEEFF", encryption="aes128")
    for _ in range(3):
        Signal.objects.create(received_at=timezone.now(), receiver="rx1", transport="tcp", peer="1.2.3.4:1",
                              account="9101", transmitter=tx, site=site_a, outcome="rejected",
                              reason="plain frame to an encrypted account", reply="DUH", flags=["security"],
                              process_state="pending")
    process_pending()
    alarm = Alarm.objects.get()
    assert alarm.kind == Alarm.Kind.SECURITY and alarm.signal_count == 3 and alarm.transmitter == tx
    assert LogEntry.objects.filter(action="alarm.created", alarm_id=alarm.pk).count() == 1


def test_clock_skew_notice_once_a_day_with_hour_hint(site_a):
    tx = make_transmitter(site_a, "77AA")
    for _ in range(2):
        Signal.objects.create(received_at=timezone.now(), receiver="rx1", transport="tcp", account="77AA",
                              transmitter=tx, site=site_a, outcome="accepted", flags=["clock_skew"],
                              clock_skew_seconds=3600.0 + 12, process_state="pending")
    process_pending()
    entry = LogEntry.objects.get(action="transmitter.clock_skew")
    assert "3612" in entry.message and "UTC" in entry.message


def test_restore_never_lands_on_an_unrelated_alarm(site_a):
    signal_submit(source="system", site=site_a, events=[sia("BA", "3")], process_now=True)
    signal_submit(source="system", site=site_a, events=[sia("YK")], process_now=True)  # comms restore, no zone
    alarm = Alarm.objects.get()
    assert alarm.restored_at is None
    signal_submit(source="system", site=site_a, events=[sia("YS")], process_now=True)  # line fault, grouped
    signal_submit(source="system", site=site_a, events=[sia("YK")], process_now=True)
    alarm.refresh_from_db()
    assert alarm.restored_at is not None


def test_a_backlog_is_drained_in_one_transaction_and_a_failure_undoes_only_its_own_work(site_a, monkeypatch):
    """Batches share one chain-head lock; a signal that fails half-way loses its
    alarm changes AND its logbook entries, the others keep theirs."""
    from alarms.services import intake_rules
    from logbook.verify import verify_chain

    signals = [signal_submit(source="system", site=site_a, events=[sia("BA", str(n))]) for n in (1, 2, 3)]
    original = intake_rules.process

    def fails_after_writing(signal, at):
        original(signal, at)
        if signal.pk == signals[1].pk:
            raise RuntimeError("rule exploded after writing")

    monkeypatch.setattr(intake_rules, "process", fails_after_writing)
    assert process_pending() == 3
    states = [Signal.objects.get(pk=s.pk).process_state for s in signals]
    assert states == ["done", "failed", "done"]
    alarm = Alarm.objects.get()
    assert alarm.signal_count == 2
    assert LogEntry.objects.filter(action="alarm.created").count() == 1
    assert LogEntry.objects.filter(action="alarm.signal_attached").count() == 1
    assert verify_chain().ok
