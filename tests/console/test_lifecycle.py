"""The alarm lifecycle and handling services against real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from alarms.feed_window import FeedWindow
from alarms.models import Alarm, AlarmEvent, CallAttempt
from alarms.presence import presence_touch
from alarms.selectors import feed_after, verification_status
from alarms.services import handling as h
from alarms.services import lifecycle as life
from alarms.services.storm import storm_rule_create, storm_rule_end
from alarms.storm import matching_rule
from logbook.models import LogEntry
from tests.builders import make_contact, make_procedure, make_zone
from tests.console.factories import make_alarm


def actions(alarm) -> list[str]:
    return list(LogEntry.objects.filter(alarm_id=alarm.pk).order_by("id").values_list("action", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_operators_race_to_take_one_alarm_and_exactly_one_wins(site_a, operator, operator2):
    alarm = make_alarm(site_a)
    barrier = threading.Barrier(2)
    results = {}

    def attempt(user):
        barrier.wait()
        try:
            life.alarm_take(alarm_id=alarm.pk, operator=user)
            results[user.username] = "won"
        except life.AlarmTaken as exc:
            results[user.username] = f"lost to {exc.holder_name}"
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (operator, operator2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results.values())[-1] == "won" and list(results.values()).count("won") == 1
    alarm.refresh_from_db()
    winner = operator if results["op"] == "won" else operator2
    assert alarm.state == Alarm.State.TAKEN and alarm.taken_by == winner
    assert actions(alarm) == ["alarm.created", "alarm.taken"]
    assert LogEntry.objects.get(alarm_id=alarm.pk, action="alarm.taken").new_values == {
        "first": True, "priority": 3, "category": "alarm", "forced": False}


@pytest.mark.django_db
def test_taking_over_warns_and_is_refused_while_the_holder_is_at_the_console(site_a, operator, operator2,
                                                                                supervisor):
    alarm = make_alarm(site_a)
    life.alarm_take(alarm_id=alarm.pk, operator=operator)
    life.alarm_take(alarm_id=alarm.pk, operator=operator)  # taking twice writes nothing
    assert actions(alarm).count("alarm.taken") == 1
    with pytest.raises(life.AlarmTaken) as refused:
        life.alarm_take(alarm_id=alarm.pk, operator=operator2)
    assert refused.value.holder_name == "Camille Roux" and refused.value.abandoned
    presence_touch(operator.pk, active_at=timezone.now().timestamp())
    with pytest.raises(life.AlarmTaken) as present:
        life.alarm_take(alarm_id=alarm.pk, operator=operator2, force=True)
    assert not present.value.abandoned
    # Idle for 11 minutes: abandoned, the take-over goes through (after the UI's warning).
    presence_touch(operator.pk, active_at=timezone.now().timestamp() - 660)
    life.alarm_take(alarm_id=alarm.pk, operator=operator2, force=True)
    alarm.refresh_from_db()
    assert alarm.taken_by == operator2
    life.alarm_reassign(alarm_id=alarm.pk, supervisor=supervisor, operator=operator)
    alarm.refresh_from_db()
    assert alarm.taken_by == operator
    with pytest.raises(life.AlarmError):
        life.alarm_reassign(alarm_id=alarm.pk, supervisor=operator2, operator=operator2)
    assert actions(alarm)[-2:] == ["alarm.taken", "alarm.reassigned"]


@pytest.mark.django_db
def test_mandatory_steps_block_closing_until_done_or_skipped_with_a_reason(site_a, operator):
    make_procedure(category="alarm", site=site_a, steps=(("call_list", True), ("notify_client", False),
                                                         ("instruction", True)))
    alarm = make_alarm(site_a)
    life.alarm_take(alarm_id=alarm.pk, operator=operator)
    steps = list(alarm.steps.order_by("order"))
    assert [(s.kind, s.mandatory) for s in steps] == [("call_list", True), ("notify_client", False),
                                                      ("instruction", True)]
    with pytest.raises(life.ClosureBlocked) as blocked:
        life.alarm_close(alarm_id=alarm.pk, operator=operator, qualification="false_alarm",
                         closure_code="cause_user")
    assert len(blocked.value.steps) == 2
    h.alarm_step_done(alarm_id=alarm.pk, operator=operator, step_id=steps[0].pk, note="joint")
    with pytest.raises(life.AlarmError):
        h.alarm_step_skip(alarm_id=alarm.pk, operator=operator, step_id=steps[2].pk, reason=" ")
    h.alarm_step_skip(alarm_id=alarm.pk, operator=operator, step_id=steps[2].pk, reason="client sur place")
    with pytest.raises(life.AlarmError):  # a false alarm says its cause
        life.alarm_close(alarm_id=alarm.pk, operator=operator, qualification="false_alarm", closure_code="guard")
    life.alarm_close(alarm_id=alarm.pk, operator=operator, qualification="false_alarm", closure_code="cause_user",
                     note="code mal saisi")
    alarm.refresh_from_db()
    assert alarm.state == Alarm.State.CLOSED and alarm.closed_by == operator
    closed = LogEntry.objects.get(alarm_id=alarm.pk, action="alarm.closed")
    assert closed.new_values["qualification"] == "false_alarm" and closed.new_values["closure_code"] == "cause_user"
    assert actions(alarm) == ["alarm.created", "alarm.taken", "alarm.step_done", "alarm.step_skipped",
                              "alarm.qualified", "alarm.closed"]
    kinds = list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True))
    assert kinds == ["created", "taken", "step", "step", "closed"]


@pytest.mark.django_db
def test_police_call_gate_for_intrusion(site_a, operator):
    zone = make_zone(site_a, "3")
    contact = make_contact(site_a)
    alarm = make_alarm(site_a, zone=zone)
    life.alarm_take(alarm_id=alarm.pk, operator=operator)
    with pytest.raises(h.VerificationRequired):
        h.alarm_public_service_call(alarm_id=alarm.pk, operator=operator, service="police_17", reference="X")
    h.alarm_call_record(alarm_id=alarm.pk, operator=operator, contact_id=contact.pk, outcome="no_answer")
    with pytest.raises(h.VerificationRequired):
        h.alarm_public_service_call(alarm_id=alarm.pk, operator=operator, service="gendarmerie_17", reference="X")
    h.alarm_call_record(alarm_id=alarm.pk, operator=operator, contact_id=contact.pk, outcome="voicemail")
    assert verification_status(alarm)["reasons"] == ["calls"]
    call = h.alarm_public_service_call(alarm_id=alarm.pk, operator=operator, service="police_17",
                                       reference="CIC Paris 4471")
    assert call.verification["reasons"] == ["calls"]
    entry = LogEntry.objects.get(alarm_id=alarm.pk, action="alarm.public_service_call")
    assert entry.new_values["reference"] == "CIC Paris 4471"
    fire = make_alarm(site_a, category="fire", priority=1, title="Feu")
    life.alarm_take(alarm_id=fire.pk, operator=operator)
    h.alarm_public_service_call(alarm_id=fire.pk, operator=operator, service="fire_18", reference="CTA 12")


@pytest.mark.django_db
def test_spoken_passwords_and_duress(site_a, operator):
    contact = make_contact(site_a)
    contact.set_passwords(ok="soleil", duress="orage")
    contact.save()
    alarm = make_alarm(site_a, priority=3)
    life.alarm_take(alarm_id=alarm.pk, operator=operator)
    assert h.alarm_call_record(alarm_id=alarm.pk, operator=operator, contact_id=contact.pk,
                               spoken_password="soleil").outcome == "password_ok"
    assert h.alarm_call_record(alarm_id=alarm.pk, operator=operator, contact_id=contact.pk,
                               spoken_password="nuage").outcome == "wrong_password"
    assert h.alarm_call_record(alarm_id=alarm.pk, operator=operator, contact_id=contact.pk,
                               spoken_password="orage").outcome == "duress"
    alarm.refresh_from_db()
    assert alarm.priority == 1
    assert AlarmEvent.objects.filter(alarm=alarm, kind="duress").exists()
    assert "orage" not in " ".join(LogEntry.objects.values_list("message", flat=True))
    assert CallAttempt.objects.filter(alarm=alarm).count() == 3


@pytest.mark.django_db
def test_hold_comes_back_by_itself_once(site_a, operator):
    alarm = make_alarm(site_a)
    life.alarm_take(alarm_id=alarm.pk, operator=operator)
    with pytest.raises(life.AlarmError):
        life.alarm_hold(alarm_id=alarm.pk, operator=operator, minutes=10, reason="")
    life.alarm_hold(alarm_id=alarm.pk, operator=operator, minutes=10, reason="rappel du gardien")
    assert life.alarm_hold_expire(alarm_id=alarm.pk) is False  # not due yet
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        assert life.alarm_hold_expire(alarm_id=alarm.pk) is True
        assert life.alarm_hold_expire(alarm_id=alarm.pk) is False
    alarm.refresh_from_db()
    assert alarm.state == Alarm.State.OPEN and alarm.taken_by is None and alarm.hold_until is None
    assert actions(alarm)[-2:] == ["alarm.hold", "alarm.hold_returned"]


@pytest.mark.django_db
def test_storm_rules_two_services_and_protected_categories(site_a, supervisor, operator):
    with pytest.raises(life.AlarmError):
        storm_rule_create(supervisor=operator, categories=["trouble"], minutes=30)
    with pytest.raises(life.AlarmError):
        storm_rule_create(supervisor=supervisor, categories=["fire"], minutes=30, min_priority=1)
    rule = storm_rule_create(supervisor=supervisor, categories=["trouble"], minutes=30, region="75")
    now = timezone.now()
    assert matching_rule(site=site_a, category="trouble", priority=5, at=now) == rule
    assert matching_rule(site=site_a, category="fire", priority=1, at=now) is None
    assert matching_rule(site=site_a, category="trouble", priority=5, at=now + dt.timedelta(minutes=31)) is None
    storm_rule_end(supervisor=supervisor, rule=rule)
    assert matching_rule(site=site_a, category="trouble", priority=5, at=timezone.now()) is None
    assert list(LogEntry.objects.filter(action__startswith="storm.").values_list("action", flat=True)) == [
        "storm.rule_ended", "storm.rule_created"]


def test_the_feed_window_re_reads_skipped_ids_until_filled_or_expired():
    now = [100.0]
    window = FeedWindow(10, clock=lambda: now[0])
    assert window.accept([11, 12, 14, 15]) == [11, 12, 14, 15]
    assert window.holes.keys() == {13} and window.floor() == 12  # 13 committed late, or rolled back
    assert window.accept([13, 14, 15, 16]) == [13, 16]  # re-read from 12: duplicates dropped
    assert window.floor() == 16
    window.accept([20])
    assert window.floor() == 16
    now[0] += 16  # never came: rolled back
    assert window.floor() == 20


@pytest.mark.django_db
def test_feed_reads_by_id_above_the_readers_floor(site_a, operator):
    first = make_alarm(site_a)
    second = make_alarm(site_a)
    events = list(AlarmEvent.objects.order_by("id"))
    page = feed_after(operator, events[0].pk - 1)
    assert [e["id"] for e in page["events"]] == [e.pk for e in events]
    assert page["cursor"] == events[-1].pk and not page["more"]
    assert {e["alarm_id"] for e in page["events"]} == {first.pk, second.pk}
    assert feed_after(operator, events[-1].pk)["events"] == []
    assert feed_after(operator, 0, limit=1)["more"]
