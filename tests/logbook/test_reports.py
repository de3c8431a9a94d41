"""Response-time reports computed from logbook entries only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from logbook.models import ReportTargets
from logbook.reports import monthly_pdf
from logbook.reports.stats import alarm_facts, collect, month_bounds, window_bounds
from tests.logbook.helpers import alarm_story, append_at

PARIS = ZoneInfo("Europe/Paris")
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=PARIS)


@pytest.fixture
def story(db, operator, operator2, site_a, site_b):
    """Six alarms this morning: response times 10, 45, 100, 300 s, one not taken
    yet; site B has three false alarms out of three."""
    t = NOON - dt.timedelta(hours=2)
    alarm_story(at=t, site=site_a, customer=site_a.customer, priority=1, operator=operator, taken_after=10)
    alarm_story(at=t + dt.timedelta(minutes=5), site=site_a, customer=site_a.customer, priority=2,
                operator=operator, taken_after=45, closed_after=900)
    for i, after in enumerate((100, 300, 20)):
        alarm_story(at=t + dt.timedelta(minutes=10 + i), site=site_b, customer=site_b.customer, priority=3,
                    category="technical", operator=operator2, taken_after=after, qualification="false_alarm")
    alarm_story(at=t + dt.timedelta(minutes=20), site=site_a, customer=site_a.customer, priority=1,
                taken_after=None, closed_after=None)
    # A later take that is not the first one must not count.
    return t


def test_facts_pair_creation_first_take_and_closing(story, operator):
    facts = {f.alarm_id: f for f in alarm_facts(story - dt.timedelta(minutes=1), NOON)}
    assert len(facts) == 6
    responses = sorted(f.response_s for f in facts.values() if f.response_s is not None)
    assert responses == [10, 20, 45, 100, 300]
    untaken = [f for f in facts.values() if f.taken_at is None]
    assert len(untaken) == 1 and untaken[0].priority == "1"
    assert {f.operator_name for f in facts.values() if f.taken_at} == {"Camille Roux", "Mehdi Benali"}


def test_first_take_counts_not_a_later_take(db, operator, operator2):
    t = NOON - dt.timedelta(hours=1)
    alarm_id = alarm_story(at=t, operator=operator, taken_after=30, closed_after=None)
    append_at(t + dt.timedelta(seconds=200), action="alarm.taken", category="alarm", message="reprise",
              alarm=(alarm_id, "A"), actor=operator2, new={"first": False})
    [fact] = alarm_facts(t - dt.timedelta(seconds=1), NOON)
    assert fact.response_s == 30 and fact.operator_name == "Camille Roux"


def test_shares_groups_workload_and_false_alarm_sites(story, site_b):
    targets = ReportTargets(false_alarm_threshold=50, false_alarm_min_alarms=3)
    data = collect(start=story - dt.timedelta(minutes=1), end=NOON, targets=targets)
    overall = data["overall"]
    assert overall.alarms == 6
    # Within 30 s: 10 and 20 → 2/6; 60 s: + 45 → 3/6; 180 s: + 100 → 4/6 (the untaken alarm counts against).
    assert [round(overall.share(t)) for t in (30, 60, 180)] == [33, 50, 67]
    by_priority = {g.key: g for g in data["groups"]["priority"]}
    assert by_priority["3"].alarms == 3 and round(by_priority["3"].share(60)) == 33
    assert [g.label for g in data["false_sites"]] == [str(site_b)]
    assert data["false_sites"][0].false_rate == 100
    workload = {w["label"]: w for w in data["workload"]}
    assert workload["Mehdi Benali"]["alarms"] == 3 and workload["Mehdi Benali"]["hours"] >= 1


def test_windows(db):
    now = dt.datetime(2026, 11, 20, 3, 30, tzinfo=PARIS)
    start, _ = window_bounds("shift", now=now, shift_hours=[6, 14, 22])
    assert start == dt.datetime(2026, 11, 19, 22, 0, tzinfo=PARIS)
    start, _ = window_bounds("day", now=now)
    assert start == dt.datetime(2026, 11, 20, 0, 0, tzinfo=PARIS)
    assert month_bounds(2026, 12) == (dt.datetime(2026, 12, 1, tzinfo=PARIS), dt.datetime(2027, 1, 1, tzinfo=PARIS))


def test_the_dashboard_renders_svg_charts_and_refreshes(client, supervisor, story, site_b):
    client.force_login(supervisor)
    with time_machine.travel(NOON, tick=False):
        page = client.get(reverse("logbook:dashboard"), {"window": "day"}).content.decode()
        panel = client.get(reverse("logbook:dashboard"), {"window": "month"}, HTTP_HX_REQUEST="true")
    assert page.count("<svg") >= 8 and 'hx-trigger="every 30s"' in page
    assert "Mehdi Benali" in page and str(site_b) in page
    assert "<!doctype" not in panel.content.decode() and "<svg" in panel.content.decode()


def test_monthly_pdf_of_one_customer(client, supervisor, story, site_a):
    data = monthly_pdf(site_a.customer_id, 2026, 11)
    assert data.startswith(b"%PDF") and len(data) > 2000
    empty = monthly_pdf(site_a.customer_id, 2025, 1)
    assert empty.startswith(b"%PDF")
    client.force_login(supervisor)
    response = client.get(reverse("logbook:monthly_report", args=[site_a.customer_id, 2026, 11]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("logbook:monthly_report", args=[1, 2026, 13])).status_code == 404


def test_monthly_report_notable_events_are_the_customers_own(story, site_a, site_b, operator):
    from logbook.reports.monthly import customer_label, notable_events
    from logbook.reports.stats import month_bounds

    append_at(NOON, action="alarm.public_service_call", category="alarm", message="Appel police 17",
              site=site_a, customer=site_a.customer, actor=operator)
    append_at(NOON, action="manual", category="keys", message="Clés remises", site=site_b, customer=site_b.customer)
    start, end = month_bounds(2026, 11)
    events = notable_events(site_a.customer_id, start, end)
    messages = [e.message for e in events]
    assert "Appel police 17" in messages and "Clés remises" not in messages
    assert messages.count("Alarme créée") == 3  # the priority-1 and -2 alarms of customer A
    assert customer_label(site_a.customer_id) == str(site_a.customer)
