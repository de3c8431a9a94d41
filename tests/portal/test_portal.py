"""The client portal: a client sees and changes its own sites only; an
installer puts its sites on test and sees their signals, nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alarms.models import Alarm, AlarmEvent
from logbook.models import LogEntry
from sites.models import Site, TemporaryInstruction
from sites.selectors import instruction_changes_since
from sites.services_instructions import instruction_decide, instruction_propose
from tests.builders import make_contact, make_transmitter

pytestmark = pytest.mark.django_db


def make_alarm(site, **fields) -> Alarm:
    defaults = {"site": site, "customer": site.customer, "category": "alarm", "priority": 2,
                "title": f"Intrusion {site.name}"}
    defaults.update(fields)
    return Alarm.objects.create(**defaults)


def test_home_shows_own_sites_with_live_status(client, client_a, site_a, site_b):
    transmitter = make_transmitter(site_a)
    seen = timezone.now() - dt.timedelta(minutes=3)
    transmitter.last_seen_at = seen
    transmitter.last_test_at = seen
    transmitter.line_fault = True
    transmitter.save()
    make_alarm(site_a)
    client.force_login(client_a)
    page = client.get(reverse("portal:home")).content.decode()
    assert site_a.name in page and site_b.name not in page
    assert timezone.localtime(seen).strftime("%d/%m/%Y %H:%M") in page
    assert "1 alarme en cours" in page
    assert "Défaut de transmission" in page


def test_client_cannot_open_another_customers_site_alarm_or_report(client, client_a, site_b):
    alarm = make_alarm(site_b)
    client.force_login(client_a)
    for url in (reverse("portal:site", args=[site_b.pk]), reverse("portal:site_events", args=[site_b.pk]),
                reverse("portal:site_logbook", args=[site_b.pk]), reverse("portal:alarm", args=[alarm.pk]),
                reverse("portal:monthly_report", args=[site_b.customer_id, 2026, 1])):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("portal:site_test", args=[site_b.pk]), {"hours": 2})
    assert response.status_code == 404
    site_b.refresh_from_db()
    assert site_b.monitoring_state == Site.Monitoring.IN_SERVICE


def test_alarm_timeline_and_feed_show_the_centres_actions_not_internal_comments(client, client_a, site_a, site_b):
    alarm = make_alarm(site_a)
    AlarmEvent.objects.create(alarm=alarm, kind="created", site_id_copy=site_a.pk, customer_id_copy=site_a.customer_id)
    for kind in ("comment", "duress", "escalated"):  # inside the centre only (duress above all)
        AlarmEvent.objects.create(alarm=alarm, kind=kind, site_id_copy=site_a.pk,
                                  customer_id_copy=site_a.customer_id, data={"text": "client pénible"})
    other = make_alarm(site_b)
    AlarmEvent.objects.create(alarm=other, kind="created", site_id_copy=site_b.pk, customer_id_copy=site_b.customer_id)
    client.force_login(client_a)
    page = client.get(reverse("portal:alarm", args=[alarm.pk])).content.decode()
    assert "Alarme reçue par le centre" in page and "client pénible" not in page
    assert page.count("<li data-id") == 1
    # DISPATCH's shape: kind "intervention", state and ETA in data.
    eta = (timezone.now() + dt.timedelta(minutes=9, seconds=10)).isoformat()
    dispatched = AlarmEvent.objects.create(alarm=alarm, kind="intervention", site_id_copy=site_a.pk,
                                           customer_id_copy=site_a.customer_id,
                                           data={"state": "accepted", "eta": eta, "provider": "Garde 33"})
    body = client.get(reverse("portal:feed"), {"after": dispatched.pk - 1}).json()
    assert [e["id"] for e in body["events"]] == [dispatched.pk]
    assert body["events"][0]["detail"] == "agent d'intervention envoyé, arrivée estimée dans 9 min"
    everything = client.get(reverse("portal:feed"), {"after": 0}).json()
    assert {e["alarm"] for e in everything["events"]} == {alarm.pk}
    assert client.get(reverse("portal:feed"), {"after": "x"}).status_code == 400


def test_client_edits_and_reorders_contacts_logged_without_personal_data(client, client_a, site_a):
    first = make_contact(site_a, "Alice Martin", order=1)
    second = make_contact(site_a, "Bruno Petit", "+33622334455", order=2)
    client.force_login(client_a)
    response = client.post(reverse("portal:contact_edit", args=[site_a.pk, first.pk]), {
        "name": "Alice Martin", "role": "keyholder", "phone": "+33699887766", "phone_alt": "", "email": "",
        "in_call_list": "on", "notes": ""})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.phone == "+33699887766"
    bad = client.post(reverse("portal:contact_edit", args=[site_a.pk, first.pk]), {
        "name": "Alice Martin", "role": "keyholder", "phone": "not a phone"})
    assert bad.status_code == 200 and "phone" in bad.context["form"].errors
    client.post(reverse("portal:contact_move", args=[site_a.pk, second.pk]), {"direction": "up"})
    assert list(site_a.contacts.order_by("order").values_list("pk", flat=True)) == [second.pk, first.pk]
    entries = LogEntry.objects.filter(site_id=site_a.pk, action__startswith="contact.")
    assert {e.action for e in entries} == {"contact.updated", "contact.reordered"}
    assert not any("99887766" in (e.message + str(e.new_values) + str(e.old_values)) for e in entries)


def test_installer_puts_own_site_on_test_sees_signals_but_not_contacts_or_logbook(client, installer_a, site_a):
    client.force_login(installer_a)
    response = client.post(reverse("portal:site_test", args=[site_a.pk]), {"hours": 3, "reason": "maintenance"})
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert site_a.is_on_test()
    assert dt.timedelta(hours=2, minutes=59) < site_a.test_until - timezone.now() <= dt.timedelta(hours=3)
    assert client.get(reverse("portal:site_events", args=[site_a.pk])).status_code == 200
    assert client.get(reverse("portal:site_logbook", args=[site_a.pk])).status_code == 404
    assert client.get(reverse("portal:contact_new", args=[site_a.pk])).status_code == 404
    page = client.get(reverse("portal:site", args=[site_a.pk])).content.decode()
    assert "Contacts et ordre d'appel" not in page
    # Bounded: more than 7 days is refused by the form.
    client.post(reverse("portal:site_test_end", args=[site_a.pk]))
    client.post(reverse("portal:site_test", args=[site_a.pk]), {"hours": 500})
    site_a.refresh_from_db()
    assert not site_a.is_on_test()


def test_instruction_proposed_by_client_accepted_by_centre_versioned(client, client_a, operator, site_a):
    client.force_login(client_a)
    ends = timezone.localtime() + dt.timedelta(days=10)
    client.post(reverse("portal:instruction_new", args=[site_a.pk]), {
        "text": "Site fermé jusqu'au 3 janvier", "ends_at": ends.strftime("%Y-%m-%dT%H:%M")})
    proposal = TemporaryInstruction.objects.get(site=site_a)
    assert proposal.status == TemporaryInstruction.Status.PROPOSED and proposal.proposed_by == client_a
    before_decision = timezone.now()
    client.force_login(operator)
    client.post(reverse("portal:instruction_decision", args=[proposal.pk]), {"accept": "on", "note": "vu"})
    proposal.refresh_from_db()
    assert proposal.status == TemporaryInstruction.Status.ACCEPTED and proposal.decided_by == operator
    assert proposal.in_force()
    v2 = instruction_propose(site=site_a, actor=client_a, text="Clés chez le voisin au n° 12", starts_at=None,
                             ends_at=timezone.now() + dt.timedelta(days=3), supersedes=proposal)
    instruction_decide(instruction_id=v2.pk, actor=operator, accept=True)
    proposal.refresh_from_db()
    assert (v2.version, proposal.status) == (2, TemporaryInstruction.Status.SUPERSEDED)
    changes = list(instruction_changes_since(site_a, before_decision))
    assert {c.pk for c in changes} == {proposal.pk, v2.pk}
    alarm = make_alarm(site_a)
    panel = client.get(reverse("portal:alarm_instructions", args=[alarm.pk])).content.decode()
    assert "Clés chez le voisin" in panel and "Changements depuis votre dernier poste" in panel
    actions = list(LogEntry.objects.filter(site_id=site_a.pk, action__startswith="instruction.")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["instruction.proposed", "instruction.accepted", "instruction.proposed", "instruction.accepted"]


def test_client_cannot_decide_on_instructions_or_see_the_staff_panel(client, client_a, site_a):
    proposal = instruction_propose(site=site_a, actor=client_a, text="x", starts_at=None,
                                   ends_at=timezone.now() + dt.timedelta(days=1))
    client.force_login(client_a)
    assert client.post(reverse("portal:instruction_decision", args=[proposal.pk]), {"accept": "on"}).status_code == 403
    assert client.get(reverse("portal:alarm_instructions", args=[make_alarm(site_a).pk])).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == TemporaryInstruction.Status.PROPOSED


def test_portal_speaks_english_on_request(client, client_a, site_a):
    client.force_login(client_a)
    page = client.get(reverse("portal:site", args=[site_a.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Temporary instructions" in page


def test_operator_enters_an_instruction_phoned_in_it_is_in_force_at_once(client, operator, site_a):
    client.force_login(operator)
    ends = timezone.localtime() + dt.timedelta(days=2)
    response = client.post(reverse("portal:instruction_new", args=[site_a.pk]), {
        "text": "Gardien absent ce week-end", "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
        "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    instruction = TemporaryInstruction.objects.get(site=site_a)
    assert instruction.in_force() and instruction.decided_by == operator
    assert LogEntry.objects.filter(action="instruction.accepted", site_id=site_a.pk).exists()


def test_home_query_count_does_not_grow_with_sites(client, client_a, customer_a, django_assert_max_num_queries):
    from tests.builders import make_site

    for _ in range(20):
        make_transmitter(make_site(customer_a))
    client.force_login(client_a)
    client.get(reverse("portal:home"))  # first request: the session's activity stamp is written
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portal:home")).status_code == 200
