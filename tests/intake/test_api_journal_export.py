"""POST /api/v1/events, the journal page and export_signals."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from alarms.models import Alarm, IntakeSource, Signal
from alarms.services.intake import process_pending
from tests.builders import make_zone

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def source(customer_a):
    token = "arcsrc_test-token-a"
    s = IntakeSource(name="Caméras A", customer=customer_a)
    s.set_token(token)
    s.save()
    return token


def api(token=None):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_api_event_becomes_alarm_with_snapshot(source, site_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_zone(site_a, "4", label="Quai")
    response = api(source).post("/api/v1/events", {
        "site": site_a.code, "zone": "4", "camera": "Quai 2", "category": "alarm", "priority": 2,
        "text": "Intrusion vidéo", "snapshot": base64.b64encode(JPEG).decode()}, format="json")
    assert response.status_code == 202, response.content
    signal = Signal.objects.get(pk=response.json()["signal"])
    assert signal.transport == "http" and signal.process_state == "pending"
    path = signal.xdata[0][1]
    assert (tmp_path / path).read_bytes() == JPEG
    process_pending()
    alarm = Alarm.objects.get()
    assert alarm.source == "api" and alarm.priority == 2 and alarm.zone.label == "Quai"


def test_api_coded_event(source, site_a):
    assert api(source).post("/api/v1/events", {"site": site_a.code, "code": "FA"}, format="json").status_code == 202
    process_pending()
    assert Alarm.objects.get().category == "fire"


@pytest.mark.parametrize("body,field", [
    ({"code": "BA"}, "site"),
    ({"site": "NOPE", "code": "BA"}, "site"),
    ({"site": "SA1"}, "code"),
    ({"site": "SA1", "code": "BA", "category": "fire"}, "category"),
    ({"site": "SA1", "code": "BA", "priority": 12}, "priority"),
    ({"site": "SA1", "code": "BA", "zone": "999"}, "zone"),
    ({"site": "SA1", "code": "BA", "snapshot": "not base64!"}, "snapshot"),
    ({"site": "SA1", "code": "BA", "snapshot": base64.b64encode(b"GIF89a....").decode()}, "snapshot"),
])
def test_api_errors_are_clear_4xx_json(source, site_a, body, field):
    response = api(source).post("/api/v1/events", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Signal.objects.exists()


def test_api_auth_and_customer_scope(source, site_b):
    assert api().post("/api/v1/events", {"site": "SA1", "code": "BA"}, format="json").status_code == 401
    assert api("wrong").post("/api/v1/events", {"site": "SA1", "code": "BA"}, format="json").status_code == 401
    # Customer A's source cannot post for customer B's site.
    response = api(source).post("/api/v1/events", {"site": site_b.code, "code": "BA"}, format="json")
    assert response.status_code == 400 and "site" in response.json()


def test_api_in_openapi_schema(db):
    body = Client().get("/api/v1/schema/?format=json").content.decode()
    assert "/api/v1/events" in body and "events_submit" in body


def _signals(n=3):
    now = timezone.now()
    for i in range(n):
        Signal.objects.create(received_at=now, receiver="rx1", transport="tcp", peer="10.0.0.1:4000",
                              raw=b'\nXXXX"SIA-DCS"000%dL0#12[]\r' % i, token="SIA-DCS", sequence=f"{i:04d}",
                              account="12" if i else "99", outcome="accepted" if i else "rejected",
                              reason="" if i else "CRC mismatch", payload="#12|NBA1")


def test_journal_page_for_supervisors_only(supervisor, operator):
    _signals(3)
    c = Client()
    c.force_login(operator)
    assert c.get("/signals/").status_code == 403
    c.force_login(supervisor)
    page = c.get("/signals/").content.decode()
    assert "CRC mismatch" in page and "#99" in page
    filtered = c.get("/signals/", {"outcome": "accepted", "account": "12"}).content.decode()
    assert "#99" not in filtered and "#12" in filtered
    signal = Signal.objects.first()
    assert c.get(f"/signals/{signal.pk}/").status_code == 200


def test_journal_keyset_pagination(supervisor):
    _signals(3)
    from alarms.selectors_signals import signals_page
    rows, next_before = signals_page(Signal.objects.all(), size=2)
    assert len(rows) == 2 and next_before == rows[-1].pk
    rest, more = signals_page(Signal.objects.all(), before=next_before, size=2)
    assert len(rest) == 1 and more is None


def test_export_jsonl_and_csv():
    _signals(3)
    out = io.StringIO()
    call_command("export_signals", "--format", "jsonl", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 3 and {"raw", "peer", "received_at", "account", "sequence", "outcome", "reason"} <= set(lines[0])
    assert lines[0]["outcome"] == "rejected" and lines[0]["reason"] == "CRC mismatch"
    out = io.StringIO()
    call_command("export_signals", "--format", "csv", "--since", "2000-01-01", stdout=out)
    assert len(list(csv.DictReader(io.StringIO(out.getvalue())))) == 3
    out = io.StringIO()
    call_command("export_signals", "--since", "2999-01-01", stdout=out)
    assert out.getvalue() == ""
