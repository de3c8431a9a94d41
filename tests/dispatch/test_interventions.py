"""Interventions: request, the guard's signed page, report with photos, ETA overrun."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from alarms.models import AlarmEvent
from dispatch.links import guard_token
from dispatch.models import CallOut, Intervention
from dispatch.services.interventions import InterventionError, intervention_request
from logbook.models import LogEntry
from sites.models import InterventionProvider
from tests.dispatch.conftest import raise_alarm, tick

T0 = dt.datetime(2026, 6, 4, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def provider(db):
    return InterventionProvider.objects.create(name="Garde Rapide 75", phone="+33140000000",
                                               email="pc@garde-rapide.example", area="75", response_minutes=20)


def png(colour="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG")
    return buffer.getvalue()


def guard_url(intervention) -> str:
    return reverse("dispatch:guard", args=[guard_token(intervention.pk, intervention.link_nonce)])


def test_mission_from_request_to_report(ladder, site_a, operator, provider, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="BA")
        intervention = intervention_request(alarm_id=alarm.pk, provider_id=provider.pk, operator=operator,
                                            instructions="Clés au poste de garde")
        assert intervention.eta_at == T0 + dt.timedelta(minutes=20)
        notice = CallOut.objects.get(intervention=intervention)
        assert sorted(notice.attempts.values_list("channel", "address")) == [
            ("email", "pc@garde-rapide.example"), ("sms", "+33140000000")]
        with pytest.raises(InterventionError):
            intervention_request(alarm_id=alarm.pk, provider_id=provider.pk, operator=operator)

        url = guard_url(intervention)
        page = client.get(url)
        assert page.status_code == 200 and site_a.address in page.content.decode()
        clock.shift(60)
        client.post(url, {"action": "accepted", "guard_name": "Karim"})
        clock.shift(60)
        client.post(url, {"action": "en_route"})
        clock.shift(600)
        client.post(url, {"action": "on_site"})
        intervention.refresh_from_db()
        assert intervention.state == "on_site" and intervention.guard_name == "Karim"
        assert intervention.accepted_at == T0 + dt.timedelta(seconds=60)
        assert intervention.on_site_at == T0 + dt.timedelta(seconds=720)

        bad = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
        response = client.post(url, {"action": "report", "report": "RAS", "photos": [bad]})
        assert response.status_code == 400 and "JPEG" in response.content.decode()
        intervention.refresh_from_db()
        assert intervention.state == "on_site" and not intervention.photos.exists()

        photo = SimpleUploadedFile("porte.png", png(), content_type="image/png")
        response = client.post(url, {"action": "report", "report": "Porte arrière forcée, police prévenue.",
                                     "photos": [photo]})
        assert response.status_code == 200
        intervention.refresh_from_db()
        assert intervention.state == "reported" and intervention.photos.count() == 1
        assert (tmp_path / intervention.photos.get().image.name).read_bytes()[:4] == b"\x89PNG"
        [report] = AlarmEvent.objects.filter(alarm=alarm, kind="intervention_report")
        assert report.data["report"].startswith("Porte arrière forcée") and report.data["photos"] == 1
        entry = LogEntry.objects.get(action="intervention.report", intervention_id=intervention.pk)
        assert "Porte arrière forcée" in entry.message and entry.actor_name == "Karim"
        actions = list(LogEntry.objects.filter(intervention_id=intervention.pk).order_by("id")
                       .values_list("action", flat=True))
        assert actions == ["intervention.requested", "intervention.accepted", "intervention.en_route",
                           "intervention.on_site", "intervention.report"]
        clock.shift(3600)
        tick()
        assert not AlarmEvent.objects.filter(alarm=alarm, kind="escalated", data__reason="eta_overrun").exists()


def test_eta_overrun_escalates_once(ladder, site_a, operator, provider):
    with time_machine.travel(T0, tick=False) as clock:
        alarm = raise_alarm(site_a, code="BA")
        intervention = intervention_request(alarm_id=alarm.pk, provider_id=provider.pk, operator=operator,
                                            eta_minutes=15)
        clock.shift(dt.timedelta(minutes=15) - dt.timedelta(seconds=1))
        tick()
        assert not AlarmEvent.objects.filter(alarm=alarm, data__reason="eta_overrun").exists()
        clock.shift(1)
        tick()
        tick()
        [event] = AlarmEvent.objects.filter(alarm=alarm, kind="escalated", data__reason="eta_overrun")
        assert event.data["intervention"] == intervention.pk and event.data["audience"] == "supervisors"
        assert LogEntry.objects.filter(action="intervention.eta_overrun", intervention_id=intervention.pk).count() == 1
        intervention.refresh_from_db()
        assert intervention.eta_overrun_at == T0 + dt.timedelta(minutes=15)


def test_guard_link_is_signed_and_revocable(site_a, operator, provider, client):
    alarm = raise_alarm(site_a, code="BA")
    intervention = intervention_request(alarm_id=alarm.pk, provider_id=provider.pk, operator=operator)
    assert client.get(guard_url(intervention)[:-3] + "zz/").status_code == 404
    forged = reverse("dispatch:guard", args=[guard_token(intervention.pk, "0000000000000000")])
    assert client.get(forged).status_code == 404
    Intervention.objects.filter(pk=intervention.pk).update(link_nonce="renewed")
    assert client.get(guard_url(intervention)).status_code == 404


def test_panels_for_staff_only(site_a, operator, client_a, provider, client):
    alarm = raise_alarm(site_a, code="BA")
    url = reverse("dispatch:alarm_interventions", args=[alarm.pk])
    client.force_login(client_a)
    assert client.get(url).status_code == 403
    assert client.get(reverse("dispatch:alarm_callouts", args=[alarm.pk])).status_code == 403
    assert client.get(reverse("dispatch:home")).status_code == 403
    client.force_login(operator)
    response = client.get(url)
    assert response.status_code == 200 and "Garde Rapide 75" in response.content.decode()
    response = client.post(reverse("dispatch:intervention_request", args=[alarm.pk]),
                           {"provider": provider.pk, "eta_minutes": "10"})
    assert response.status_code == 200
    assert Intervention.objects.get(alarm=alarm).eta_at is not None
    assert client.get(reverse("dispatch:home")).status_code == 200


def test_running_interventions_in_the_shift_handover(site_a, operator, provider):
    from logbook.handover import collect_sections

    alarm = raise_alarm(site_a, code="BA")
    with time_machine.travel(T0, tick=False) as clock:
        intervention_request(alarm_id=alarm.pk, provider_id=provider.pk, operator=operator, eta_minutes=10)
        clock.shift(dt.timedelta(minutes=11))
        sections = {str(s["title"]): s for s in collect_sections(operator)}
    lines = sections["Interventions en cours"]["items"]
    assert len(lines) == 1 and "Garde Rapide 75" in lines[0] and "EN RETARD" in lines[0]
