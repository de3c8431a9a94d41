"""Equipment checks: ticked with remarks, overdue computed per local day or week."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from logbook.demo import seed
from logbook.models import CheckDefinition, CheckRecord, LogEntry
from logbook.selectors import checks_status, overdue_checks
from logbook.services.checks import CheckError, check_record

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def checks(db):
    seed(log=lambda *_: None)
    return {c.code: c for c in CheckDefinition.objects.all()}


def _codes(statuses):
    return sorted(s.definition.code for s in statuses)


def test_daily_checks_are_overdue_after_their_time_and_weekly_after_their_day(checks):
    monday_7 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=PARIS)
    assert overdue_checks(monday_7) == []
    monday_830 = dt.datetime(2026, 11, 23, 8, 30, tzinfo=PARIS)
    assert _codes(overdue_checks(monday_830)) == ["rx-backup", "rx-primary"]
    monday_noon = dt.datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
    assert _codes(overdue_checks(monday_noon)) == ["generator", "lines", "rx-backup", "rx-primary", "ups"]
    # The backup-centre check is due on Wednesdays (due_weekday 2).
    wednesday_noon = dt.datetime(2026, 11, 25, 12, 0, tzinfo=PARIS)
    assert "backup-centre" in _codes(overdue_checks(wednesday_noon))


def test_a_tick_clears_the_check_for_its_period_only(checks, operator):
    import time_machine

    record = check_record(definition_id=checks["ups"].pk, operator=operator, result="ok", remarks="62 min")
    now = record.done_at
    status = {s.definition.code: s for s in checks_status(now + dt.timedelta(minutes=1))}
    assert status["ups"].done and not status["ups"].overdue
    tomorrow_noon = dt.datetime.combine(now.astimezone(PARIS).date() + dt.timedelta(days=1), dt.time(12), PARIS)
    with time_machine.travel(tomorrow_noon, tick=False):
        assert "ups" in _codes(overdue_checks())
    entry = LogEntry.objects.get(action="check.done")
    assert entry.category == "check" and "62 min" in entry.message and entry.actor_id == operator.pk


def test_an_anomaly_needs_remarks(checks, operator):
    with pytest.raises(CheckError):
        check_record(definition_id=checks["lines"].pk, operator=operator, result="anomaly", remarks="")
    check_record(definition_id=checks["lines"].pk, operator=operator, result="anomaly",
                 remarks="Ligne 2 muette, ticket opérateur 4471")
    assert LogEntry.objects.get(action="check.anomaly").new_values["result"] == "anomaly"
    with pytest.raises(CheckError):
        check_record(definition_id=checks["lines"].pk, operator=operator, result="maybe")


def test_checks_page_ticks(client, operator, checks):
    client.force_login(operator)
    page = client.get(reverse("logbook:checks")).content.decode()
    assert "Onduleur" in page
    response = client.post(reverse("logbook:check_tick", args=[checks["ups"].pk]),
                           {"result": "ok", "remarks": "autonomie 55 min"})
    assert response.status_code == 302
    assert CheckRecord.objects.get().remarks == "autonomie 55 min"
    bad = client.post(reverse("logbook:check_tick", args=[checks["ups"].pk]), {"result": "anomaly"}, follow=True)
    assert "Décrivez l&#x27;anomalie" in bad.content.decode()
    assert CheckRecord.objects.count() == 1


def test_an_overdue_check_reads_well_on_the_console_banner(checks):
    monday_noon = dt.datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
    labels = [str(s) for s in overdue_checks(monday_noon)]
    assert "Onduleur : état des batteries et autonomie affichée (attendue avant 23/11 09:00)" in labels
