"""The operator's main courante: quick entries, the picker, corrections."""

from __future__ import annotations

import pytest
from django.urls import reverse

from logbook.models import LogEntry
from logbook.verify import verify_chain

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def op_client(client, operator):
    client.force_login(operator)
    return client


def test_home_shows_the_quick_form_and_recent_entries(op_client, operator):
    from logbook.services import manual_entry_create

    manual_entry_create(author=operator, category="visitor", message="Passage du technicien ascenseur")
    response = op_client.get(reverse("logbook:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="lb-entry-form"' in body and "Passage du technicien ascenseur" in body
    assert "logbook/logbook.js" in body


def test_quick_entry_with_a_site_picked_by_code(op_client, operator, site_a):
    found = op_client.get(reverse("logbook:lookup"), {"q": "SA1"}, **HX)
    assert f'data-id="{site_a.pk}"' in found.content.decode()
    response = op_client.post(reverse("logbook:entry_create"), {
        "category": "call", "message": "Le client signale un départ en congés",
        "site_id": site_a.pk, "site_label": "n'importe quoi",  # the label is resolved, not trusted
    }, **HX)
    assert response.status_code == 200
    entry = LogEntry.objects.get(action="manual")
    assert entry.site_id == site_a.pk and entry.site_label == str(site_a)
    assert entry.customer_id == site_a.customer_id and entry.customer_label == str(site_a.customer)
    assert entry.actor_id == operator.pk and entry.category == "call"
    body = response.content.decode()
    # The new row arrives out of band at the top of the list; the form keeps the site for the next line.
    assert 'hx-swap-oob="afterbegin:#lb-entries"' in body and f'id="entry-{entry.pk}"' in body
    assert f'value="{site_a.pk}"' in body
    assert verify_chain().ok


def test_an_empty_or_bad_entry_is_refused_and_nothing_is_written(op_client):
    response = op_client.post(reverse("logbook:entry_create"), {"category": "call", "message": "   "}, **HX)
    assert response.status_code == 200 and "Le message est vide" in response.content.decode()
    response = op_client.post(reverse("logbook:entry_create"), {"category": "alarm", "message": "x"}, **HX)
    assert "Catégorie :" in response.content.decode()
    response = op_client.post(reverse("logbook:entry_create"),
                              {"category": "call", "message": "x", "site_id": 999999}, **HX)
    assert "Site inconnu" in response.content.decode()
    assert not LogEntry.objects.exists()


def test_a_correction_is_a_new_entry_and_the_original_stays(op_client, operator):
    from logbook.services import manual_entry_create

    entry = manual_entry_create(author=operator, category="keys", message="Clés remises à M. Martin")
    form = op_client.get(reverse("logbook:entry_correct", args=[entry.pk]), **HX)
    assert "Clés remises à M. Martin" in form.content.decode()
    response = op_client.post(reverse("logbook:entry_correct", args=[entry.pk]),
                              {"message": "Clés remises à Mme Martin"}, **HX)
    assert response.status_code == 200 and "Clés remises à Mme Martin" in response.content.decode()
    correction = LogEntry.objects.get(action="correction")
    assert correction.corrects_id == entry.pk and correction.old_values == {"message": "Clés remises à M. Martin"}
    assert LogEntry.objects.get(pk=entry.pk).message == "Clés remises à M. Martin"


def test_an_operator_cannot_correct_a_colleagues_line_but_a_supervisor_can(client, operator, operator2,
                                                                            supervisor):
    from logbook.services import manual_entry_create

    entry = manual_entry_create(author=operator2, category="call", message="Appel de la gendarmerie")
    client.force_login(operator)
    assert client.post(reverse("logbook:entry_correct", args=[entry.pk]), {"message": "x"}).status_code == 403
    client.force_login(supervisor)
    assert client.post(reverse("logbook:entry_correct", args=[entry.pk]), {"message": "Appel de la police"},
                       **HX).status_code == 200


def test_clients_and_anonymous_users_never_reach_the_logbook(client, client_a):
    assert client.get(reverse("logbook:home")).status_code == 302
    client.force_login(client_a)
    for name in ("logbook:home", "logbook:lookup", "logbook:handover", "logbook:checks", "logbook:review",
                 "logbook:dashboard"):
        assert client.get(reverse(name)).status_code == 403, name


def test_lookup_does_not_offer_sites_the_user_cannot_see(client, site_a, site_b, installer_a):
    from logbook import lookups

    names = [r.label for r in lookups.search(installer_a, "Site", 10)]
    assert str(site_a) in names and str(site_b) not in names
    assert lookups.resolve(installer_a, "site", site_b.pk) is None


def test_older_entries_come_by_keyset(op_client, operator):
    from logbook.services import manual_entry_create

    for i in range(35):
        manual_entry_create(author=operator, category="note", message=f"note {i:02d}")
    first = op_client.get(reverse("logbook:home")).content.decode()
    assert "note 34" in first and "note 04" not in first
    oldest_shown = LogEntry.objects.order_by("-id")[29].pk
    more = op_client.get(reverse("logbook:entries_more"), {"before": oldest_shown}, **HX).content.decode()
    assert "note 04" in more and "note 05" not in more.split("note 04")[0] or "note 04" in more


def test_the_main_courante_speaks_english_on_request(op_client):
    from django.utils import translation

    with translation.override("en"):
        body = op_client.get(reverse("logbook:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New entry" in body and "Nouvelle entrée" not in body
