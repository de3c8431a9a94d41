"""Console views through Django's test client: access, JSON feed, htmx actions,
phone-call form, storm mode and the evidence export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alarms.models import Alarm, PhoneCall, StormRule
from logbook.models import LogEntry
from tests.builders import make_contact, make_procedure
from tests.console.factories import make_alarm

pytestmark = pytest.mark.django_db


def test_only_staff_reach_the_console(client, client_a, site_a):
    alarm = make_alarm(site_a)
    urls = [reverse("alarms:console"), reverse("alarms:console_snapshot"), reverse("alarms:alarm", args=[alarm.pk]),
            reverse("alarms:console_events") + "?after=0", reverse("alarms:alarm_evidence_pdf", args=[alarm.pk])]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(client_a)
    for url in urls:
        assert client.get(url).status_code == 403


def test_queue_snapshot_and_events(client, operator, site_a):
    low = make_alarm(site_a, priority=5, category="trouble", title="Secteur")
    high = make_alarm(site_a, priority=1, category="fire", title="Feu")
    client.force_login(operator)
    page = client.get(reverse("alarms:console"))
    assert page.status_code == 200 and "Raccourcis clavier" in page.content.decode()
    snap = client.get(reverse("alarms:console_snapshot")).json()
    assert [a["id"] for a in snap["alarms"]] == [high.pk, low.pk]
    assert snap["cursor"] > 0
    events = client.get(reverse("alarms:console_events"), {"after": snap["cursor"] - 2}).json()
    assert [e["alarm_id"] for e in events["events"]] == [low.pk, high.pk] and events["cursor"] == snap["cursor"]
    assert client.get(reverse("alarms:console_events"), {"after": "x"}).status_code == 400


def test_handling_actions_through_htmx(client, operator, operator2, site_a):
    make_procedure(category="alarm", site=site_a, steps=(("call_list", True),))
    contact = make_contact(site_a, name="Jeanne Martin")
    alarm = make_alarm(site_a)
    client.force_login(operator)
    page = client.get(reverse("alarms:alarm", args=[alarm.pk])).content.decode()
    assert "Prendre l'alarme" in page and site_a.name in page
    hx = {"HTTP_HX_REQUEST": "true"}
    act = lambda name, **data: client.post(reverse("alarms:alarm_action", args=[alarm.pk, name]), data, **hx)  # noqa: E731
    assert act("take").status_code == 200
    body = act("call", contact=contact.pk, outcome="no_answer").content.decode()
    assert "Pas de réponse" in body and 'hx-swap-oob="true"' in body
    body = act("close", qualification="false_alarm", closure_code="cause_user").content.decode()
    assert "Étapes obligatoires non faites" in body
    step = alarm.steps.get()
    act("step_done", step=step.pk)
    act("comment", text="RAS sur place")
    act("close", qualification="false_alarm", closure_code="cause_user")
    alarm.refresh_from_db()
    assert alarm.state == Alarm.State.CLOSED
    pdf = client.get(reverse("alarms:alarm_evidence_pdf", args=[alarm.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "RAS sur place" in client.get(reverse("alarms:alarm_evidence", args=[alarm.pk])).content.decode()
    client.force_login(operator2)
    other = make_alarm(site_a)
    client.post(reverse("alarms:alarm_take", args=[other.pk]))
    client.force_login(operator)
    refused = client.post(reverse("alarms:alarm_take", args=[other.pk]))
    assert refused.status_code == 409 and refused.json()["holder"] == "Mehdi Benali"


def test_phone_call_creates_completes_or_logs(client, operator, site_a):
    client.force_login(operator)
    base = {"caller_name": "M. Petit", "caller_role": "voisin", "location": "12 rue de la Paix",
            "reformulation": "Vous voyez de la fumée au 2e étage, personne en danger.", "read_back": "on"}
    response = client.post(reverse("alarms:phone_call"), base | {"seen": "fire", "site": site_a.pk})
    alarm = Alarm.objects.get(category="fire")
    assert response.status_code == 302 and alarm.priority == 1 and alarm.source == "manual"
    client.post(reverse("alarms:phone_call"), base | {"seen": "assault", "alarm": alarm.pk, "danger": "on"})
    assert PhoneCall.objects.filter(alarm=alarm, outcome="updated").exists()
    client.post(reverse("alarms:phone_call"), base | {"seen": "information"})
    assert LogEntry.objects.filter(action="phone.advice").exists()
    unconfirmed = client.post(reverse("alarms:phone_call"), base | {"seen": "fire", "read_back": ""})
    assert unconfirmed.status_code == 200 and PhoneCall.objects.count() == 3


def test_storm_two_clicks_for_a_supervisor_only(client, operator, supervisor):
    client.force_login(operator)
    assert client.post(reverse("alarms:storm_start"), {"preset": "power"}).status_code == 403
    client.force_login(supervisor)
    assert "Coupure de courant" in client.get(reverse("alarms:storm")).content.decode()
    client.post(reverse("alarms:storm_start"), {"preset": "power", "region": "33"})
    rule = StormRule.objects.get()
    assert rule.categories == ["supervision", "trouble"] and rule.region == "33"
    assert "MODE TEMPÊTE" in client.get(reverse("alarms:console")).content.decode()
    client.post(reverse("alarms:storm_end", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.ended_at is not None
    assert client.get(reverse("alarms:storm_logged")).status_code == 200


def test_the_handover_lists_the_open_alarms(operator, site_a):
    from alarms.services.lifecycle import alarm_take
    from logbook.handover import collect_sections

    alarm = make_alarm(site_a, priority=1, category="fire", title="Feu cuisine")
    alarm_take(alarm_id=alarm.pk, operator=operator)
    make_alarm(site_a, title="Intrusion")
    section = next(s for s in collect_sections(operator) if s["title"] == "Alarmes en cours")
    assert not section["error"] and len(section["items"]) == 2
    assert section["items"][0].startswith(f"A{alarm.pk} P1 Feu cuisine") and "Camille Roux" in section["items"][0]
