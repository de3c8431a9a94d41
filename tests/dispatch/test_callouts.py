"""Call-out procedures: contacts in order, channels, retries, acknowledgement."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.urls import reverse

from alarms.models import AlarmEvent
from dispatch.links import callout_token
from dispatch.models import CallOut, CallOutAttempt, WebhookEndpoint
from dispatch.tasks import attempt_send
from dispatch.transports.webhook import signature
from logbook.models import LogEntry
from sites.models import ContactAvailability
from tests.builders import make_contact, make_procedure
from tests.dispatch.conftest import raise_alarm, tick
from tests.dispatch.fakes import FakeHttp

T0 = dt.datetime(2026, 6, 3, 1, 30, tzinfo=dt.UTC)  # a Wednesday night


@pytest.fixture
def automatic_call_list(site_a):
    procedure = make_procedure(category="alarm", site=site_a, steps=(("call_list", True),))
    procedure.steps.update(automatic=True)
    first = make_contact(site_a, name="Alice Martin", phone="+33611111111", email="alice@example.fr", order=1)
    second = make_contact(site_a, name="Bruno Petit", phone="+33622222222", order=2)
    return first, second


def send_all():
    for pk in CallOutAttempt.objects.filter(state="queued").values_list("pk", flat=True):
        attempt_send(pk)


def test_chain_calls_contacts_in_order_then_escalates(ladder, site_a, automatic_call_list, settings):
    settings.CALLOUT_CONTACT_WAIT_SECONDS = 120
    alice, bruno = automatic_call_list
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="BA")
        tick()
        callout = CallOut.objects.get(alarm=alarm)
        assert callout.state == "running" and callout.contact_ids == [alice.pk, bruno.pk]
        assert sorted(callout.attempts.values_list("channel", "contact_name")) == [
            ("email", "Alice Martin"), ("sms", "Alice Martin")]
        send_all()
        assert set(callout.attempts.values_list("state", flat=True)) == {"sent"}
        assert len(mail.outbox) == 1 and callout.ack_code in mail.outbox[0].body
        assert reverse("dispatch:callout_ack", args=["x"]).rsplit("x", 1)[0] in mail.outbox[0].body
        states = [e.data["state"] for e in AlarmEvent.objects.filter(alarm=alarm, kind="callout_attempt")]
        assert states.count("sending") == 2 and states.count("sent") == 2
        clock.shift(119)
        tick()
        assert callout.attempts.count() == 2
        clock.shift(1)
        tick()
        tick()
        assert list(callout.attempts.filter(contact=bruno).values_list("channel", flat=True)) == ["sms"]
        send_all()
        clock.shift(120)
        tick()
        callout.refresh_from_db()
        assert callout.state == "exhausted" and callout.next_at is None
        [escalated] = AlarmEvent.objects.filter(alarm=alarm, kind="escalated", data__reason="callout_unanswered")
        assert escalated.data["audience"] == "supervisors"
        assert LogEntry.objects.filter(alarm_id=alarm.pk, action="callout.exhausted").count() == 1
        assert LogEntry.objects.filter(alarm_id=alarm.pk, action="callout.attempt").count() == 3


def test_sms_reply_with_the_code_stops_the_chain(ladder, site_a, automatic_call_list, client, settings):
    settings.SMS_INBOUND_TOKEN = "inbound-secret"
    alice, bruno = automatic_call_list
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="BA")
        tick()
        send_all()
        callout = CallOut.objects.get(alarm=alarm)
        url = reverse("dispatch:sms_inbound")
        assert client.post(url, {"From": "+33611111111", "Body": "ok"}).status_code == 403
        response = client.post(f"{url}?token=inbound-secret", {"From": "+33699999999", "Body": callout.ack_code})
        assert b"non reconnu" in response.content  # right code, wrong phone
        response = client.post(f"{url}?token=inbound-secret", {"From": "06 11 11 11 11",
                                                                "Body": f"Bien reçu {callout.ack_code}"})
        assert response.status_code == 200 and b"acquitt" in response.content
        callout.refresh_from_db()
        assert callout.state == "acknowledged" and callout.acknowledged_by == "Alice Martin"
        [ack] = AlarmEvent.objects.filter(alarm=alarm, kind="callout_ack")
        assert ack.data["via"] == "sms"
        clock.shift(600)
        tick()
        assert not callout.attempts.filter(contact=bruno).exists()


def test_signed_link_acknowledges_only_on_post(ladder, site_a, automatic_call_list, client):
    with time_machine.travel(T0, tick=False):
        alarm = raise_alarm(site_a, code="BA")
        tick()
        callout = CallOut.objects.get(alarm=alarm)
        attempt = callout.attempts.first()
        url = reverse("dispatch:callout_ack", args=[callout_token(callout.pk, attempt.pk)])
        assert client.get(url).status_code == 200
        callout.refresh_from_db()
        assert callout.state == "running", "a mail scanner opening the link must not acknowledge"
        assert client.post(url).status_code == 200
        callout.refresh_from_db()
        assert callout.state == "acknowledged"
        assert CallOutAttempt.objects.filter(callout=callout, state="queued").count() == 0
        bad = reverse("dispatch:callout_ack", args=[callout_token(callout.pk)[:-2] + "xx"])
        assert client.post(bad).status_code == 404


def test_unavailable_contact_is_skipped(ladder, site_a, automatic_call_list):
    alice, bruno = automatic_call_list
    # Alice only answers on Mondays, 08:00-18:00.
    ContactAvailability.objects.create(contact=alice, weekday=0, start=dt.time(8), end=dt.time(18))
    with time_machine.travel(T0, tick=False):
        alarm = raise_alarm(site_a, code="BA")
        tick()
        callout = CallOut.objects.get(alarm=alarm)
        skipped = callout.attempts.get(contact=alice)
        assert skipped.state == "cancelled" and "Indisponible" in skipped.error
        assert callout.attempts.filter(contact=bruno, state="queued").count() == 1


@pytest.mark.django_db(transaction=True)
def test_twilio_sms_sending_row_committed_before_io_then_retry_then_fail(site_a, automatic_call_list, settings):
    settings.SMS_PROVIDER = "twilio"
    settings.CALLOUT_CHANNELS = ["sms"]
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "AC123", "tok", "+33700000000"
    seen_states = []

    def look(record):  # inside the HTTP request: what does another connection see?
        conn = connections.create_connection("default")
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT state FROM dispatch_calloutattempt ORDER BY id DESC LIMIT 1")
                seen_states.append(cursor.fetchone()[0])
        finally:
            conn.close()

    responses = [(503, {"message": "busy"}), (201, {"sid": "SM42"})]
    with FakeHttp(responses, on_request=look) as twilio, time_machine.travel(T0, tick=False) as clock:
        settings.TWILIO_API_URL = twilio.url
        alarm = raise_alarm(site_a, code="BA")
        tick()
        attempt = CallOutAttempt.objects.get(callout__alarm=alarm)
        assert attempt_send(attempt.pk) == "retry"
        attempt.refresh_from_db()
        assert attempt.state == "queued" and attempt.due_at == T0 + dt.timedelta(seconds=5)
        assert "503" in attempt.error
        clock.shift(5)
        assert attempt_send(attempt.pk) == "sent"
        attempt.refresh_from_db()
        assert attempt.state == "sent" and attempt.provider_id == "SM42" and attempt.tries == 2
        assert seen_states == ["sending", "sending"]
        request = twilio.requests[-1]
        assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
        assert request["form"]["To"] == "+33611111111" and callout_code(alarm) in request["form"]["Body"]
    with FakeHttp([(400, {"message": "invalid To"})]) as twilio:
        settings.TWILIO_API_URL = twilio.url
        other = CallOutAttempt.objects.create(callout=attempt.callout, channel="sms", address="+33600000000",
                                              contact_name="x")
        assert attempt_send(other.pk) == "failed"
        other.refresh_from_db()
        assert other.state == "failed" and "400" in other.error


def callout_code(alarm) -> str:
    return CallOut.objects.get(alarm=alarm).ack_code


def test_notify_client_reaches_everyone_and_the_signed_webhook(ladder, site_a, settings):
    procedure = make_procedure(category="alarm", site=site_a, steps=(("notify_client", False),))
    procedure.steps.update(automatic=True)
    make_contact(site_a, name="Alice", phone="+33611111111", email="alice@example.fr")
    make_contact(site_a, name="Bruno", phone="+33622222222")
    with FakeHttp([(200, {})]) as hook_server, time_machine.travel(T0, tick=False):
        WebhookEndpoint.objects.create(customer=site_a.customer, url=f"{hook_server.url}/arc", secret="s3cret")
        alarm = raise_alarm(site_a, code="BA")
        tick()
        callout = CallOut.objects.get(alarm=alarm)
        assert callout.state == "done"
        assert sorted(callout.attempts.values_list("channel", flat=True)) == ["email", "sms", "sms", "webhook"]
        send_all()
        assert set(callout.attempts.values_list("state", flat=True)) == {"sent"}
        [request] = hook_server.requests
        headers = request["headers"]
        assert headers["X-ARC-Signature"] == signature("s3cret", headers["X-ARC-Timestamp"], request["raw"])
        assert b'"site": "SA1"' in request["raw"]


def test_attempt_stuck_in_sending_is_sent_again(ladder, site_a, automatic_call_list):
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="BA")
        tick()
        attempt = CallOutAttempt.objects.filter(callout__alarm=alarm, channel="sms").get()
        from dispatch.services.attempts import attempt_begin

        attempt_begin(attempt_id=attempt.pk)  # a worker took it... and died before the result
        clock.shift(91)
        tick()
        attempt.refresh_from_db()
        assert attempt.state == "queued"
        assert attempt_send(attempt.pk) == "sent"


def test_operator_starts_the_call_list_by_hand(ladder, site_a, operator, client_a, client):
    make_contact(site_a, name="Alice Martin", phone="+33611111111", order=1)
    alarm = raise_alarm(site_a, code="BA")  # the centre's consignes: no automatic step
    tick()
    assert not CallOut.objects.filter(alarm=alarm).exists()
    url = reverse("dispatch:callout_start", args=[alarm.pk])
    client.force_login(client_a)
    assert client.post(url).status_code == 403
    client.force_login(operator)
    panel = client.get(reverse("dispatch:alarm_callouts", args=[alarm.pk])).content.decode()
    assert url in panel
    response = client.post(url)
    assert response.status_code == 200
    callout = CallOut.objects.get(alarm=alarm)
    assert callout.reason == "call_list" and callout.state == "running"
    assert list(callout.attempts.values_list("contact_name", flat=True)) == ["Alice Martin"]
    assert LogEntry.objects.get(action="callout.started", alarm_id=alarm.pk).actor_id == operator.pk
    assert client.post(url).status_code == 409  # one running call list at a time
