"""The supervisor's review: filters, French full-text search, keyset pages,
timelines; and the query plans that keep it fast on a million entries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from logbook.selectors import ReviewFilters, entries_filtered, entries_page
from logbook.services import entry_append, manual_entry_create
from tests.logbook.helpers import alarm_story, append_at

UTC = dt.UTC


@pytest.fixture
def sup_client(client, supervisor):
    client.force_login(supervisor)
    return client


def test_operators_cannot_open_the_review(client, operator):
    client.force_login(operator)
    assert client.get(reverse("logbook:review")).status_code == 403
    assert client.get(reverse("logbook:dashboard")).status_code == 403


def test_filters_combine(db, operator, operator2, site_a, site_b):
    manual_entry_create(author=operator, category="call", message="Appel A", site=site_a,
                        customer=site_a.customer)
    manual_entry_create(author=operator2, category="call", message="Appel B", site=site_b,
                        customer=site_b.customer)
    manual_entry_create(author=operator, category="visitor", message="Visite A", site=site_a)
    entry_append(action="alarm.created", category="alarm", message="Alarme", alarm=(77, "Alarme n° 77"),
                 site=site_a)

    def messages(**kw):
        return [e.message for e in entries_filtered(ReviewFilters(**kw)).order_by("id")]

    assert messages(site=site_a.pk) == ["Appel A", "Visite A", "Alarme"]
    assert messages(customer=site_b.customer_id) == ["Appel B"]
    assert messages(actor=operator.pk, category="call") == ["Appel A"]
    assert messages(alarm=77) == ["Alarme"]
    assert messages(action="alarm.created") == ["Alarme"]


def test_period_filter_uses_local_days(db):
    append_at(dt.datetime(2026, 3, 9, 22, 30, tzinfo=UTC), action="t", message="lundi soir")   # 23:30 Paris
    append_at(dt.datetime(2026, 3, 9, 23, 30, tzinfo=UTC), action="t", message="mardi matin")  # 00:30 Paris
    append_at(dt.datetime(2026, 3, 11, 8, 0, tzinfo=UTC), action="t", message="mercredi")
    got = [e.message for e in entries_filtered(ReviewFilters(date_from=dt.date(2026, 3, 10),
                                                             date_to=dt.date(2026, 3, 10)))]
    assert got == ["mardi matin"]
    assert not entries_filtered(ReviewFilters(date_from=dt.date(2030, 1, 1))).exists()


def test_french_full_text_search_on_the_review_page(sup_client, operator):
    manual_entry_create(author=operator, category="incident", message="Effraction constatée par le gardien")
    manual_entry_create(author=operator, category="call", message="Changement de code d'accès")
    body = sup_client.get(reverse("logbook:review"), {"q": "effractions gardiens"}).content.decode()
    assert "Effraction constatée" in body and "Changement de code" not in body


def test_bad_filter_values_are_ignored_not_fatal(sup_client):
    response = sup_client.get(reverse("logbook:review"), {"date_from": "31/02", "site": "abc", "category": "x",
                                                          "before": "zz", "q": "'\"&|!"})
    assert response.status_code == 200


def test_keyset_pages_never_repeat_or_skip(db):
    for i in range(120):
        entry_append(action="t", message=f"m{i}")
    seen, before = [], None
    while True:
        page = entries_page(ReviewFilters(), before=before, size=50)
        seen += [e.message for e in page.entries]
        if not page.next_cursor:
            break
        before = page.next_cursor
    assert seen == [f"m{i}" for i in reversed(range(120))]


def test_review_page_lists_and_pages(sup_client):
    for i in range(60):
        entry_append(action="t", message=f"ligne {i}")
    body = sup_client.get(reverse("logbook:review")).content.decode()
    assert "ligne 59" in body and "ligne 9<" not in body and "before=" in body


def test_timeline_of_one_alarm_in_order_with_elapsed_seconds(sup_client, operator, site_a):
    start = dt.datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    alarm_id = alarm_story(at=start, site=site_a, operator=operator, taken_after=25, closed_after=400)
    body = sup_client.get(reverse("logbook:timeline_alarm", args=[alarm_id])).content.decode()
    assert body.index("Alarme créée") < body.index("Alarme prise") < body.index("Alarme clôturée")
    assert "+25\u00a0s" in body and "+6.7\u00a0min" in body
    site_body = sup_client.get(reverse("logbook:timeline_site", args=[site_a.pk])).content.decode()
    assert "Alarme prise" in site_body


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask which index would serve
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("filters, index", [
    (ReviewFilters(site=1), "logbook_site_idx"),
    (ReviewFilters(customer=1), "logbook_customer_idx"),
    (ReviewFilters(alarm=1), "logbook_alarm_idx"),
    (ReviewFilters(actor=1), "actor"),          # logbook_actor_idx or the column's own index
    (ReviewFilters(category="call"), "category"),
    (ReviewFilters(q="effraction"), "logbook_search_gin"),
])
def test_each_filter_has_an_index(db, filters, index):
    from django.db import transaction

    entry_append(action="t", message="x")
    with transaction.atomic():
        # Without ORDER BY: which index serves the filter (with LIMIT and ORDER BY id
        # the planner may also walk the primary key backwards, which bench/logbook.py times).
        plan = _plan(entries_filtered(filters).order_by())
    assert "Seq Scan" not in plan and index in plan, plan
    assert "count(" not in plan.lower()
