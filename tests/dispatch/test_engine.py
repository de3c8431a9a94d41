"""The engine itself: backlogs fired in chunks, a poisoned row isolated in its chunk."""

from __future__ import annotations

import datetime as dt

import time_machine

from dispatch import engine
from dispatch.models import TimerFailure
from logbook.models import LogEntry
from sites.models import Site
from tests.builders import make_site
from tests.dispatch.conftest import tick

T0 = dt.datetime(2026, 6, 6, 12, 0, tzinfo=dt.UTC)


def test_backlog_fires_in_chunks_and_a_poisoned_row_rolls_back_alone(customer_a, monkeypatch):
    sites = [make_site(customer_a, monitoring_state=Site.Monitoring.ON_TEST, test_until=T0 + dt.timedelta(seconds=i))
             for i in range(engine.CHUNK + 5)]
    poisoned = sites[3]
    from dispatch.rules import supervision

    real = supervision.site_end_test

    def end_test(*, site, **kwargs):
        result = real(site=site, **kwargs)  # writes, then fails: the savepoint must undo it
        if site.pk == poisoned.pk:
            raise ValueError("bad row")
        return result

    monkeypatch.setattr(supervision, "site_end_test", end_test)
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        results = tick()
    assert results["test_end"] == len(sites) - 1
    assert Site.objects.filter(monitoring_state=Site.Monitoring.ON_TEST).get() == poisoned
    assert not LogEntry.objects.filter(action="site.test_end", site_id=poisoned.pk).exists()
    assert LogEntry.objects.filter(action="site.test_end").count() == len(sites) - 1
    assert TimerFailure.objects.get(kind="test_end").object_id == poisoned.pk
