"""Fixtures of the dispatch tests: the seeded escalation ladder, and alarms
raised the real way (a signal through intake)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alarms.models import Alarm
from alarms.services.intake import signal_submit
from dispatch import engine
from dispatch.ladder_defaults import DEFAULT_RUNGS
from dispatch.models import EscalationRung
from tests.builders import make_zone


@pytest.fixture
def ladder(db):
    EscalationRung.objects.all().delete()
    for priority, level, after, audience, colour, repeat, label in DEFAULT_RUNGS:
        EscalationRung.objects.create(priority=priority, level=level, after_seconds=after, audience=audience,
                                      colour=colour, repeat_seconds=repeat, label=label)
    return EscalationRung.objects.all()


def raise_alarm(site, *, code: str = "BA", zone: str = "1", priority: int | None = None) -> Alarm:
    """A panel event through intake, processed at once: the alarm the console would show."""
    if zone and not site.zones.filter(number=zone).exists():
        make_zone(site, zone)
    event = {"protocol": "SIA-DCS", "code": code, "qualifier": "new", "zone": zone}
    if priority:
        event["priority"] = priority
    signal = signal_submit(source="api", site=site, events=[event], process_now=True)
    return Alarm.objects.get(signal_events__signal=signal)


def tick(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of every rule (sweeps included), as the beat tick does."""
    from dispatch import rules  # noqa: F401

    for rule in engine.RULES.values():
        rule.last_run = 0.0
    return engine.run_once(now or timezone.now())


def process_intake() -> int:
    from alarms.services.intake import process_pending

    return process_pending()
