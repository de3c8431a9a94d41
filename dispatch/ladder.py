"""Reading the escalation ladder: which rung comes next for an alarm."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dispatch.models import EscalationRung

# When a priority has no rung at all, look again this much later (the ladder
# may be configured meanwhile) instead of re-reading the alarm every tick.
NO_LADDER_RECHECK = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Step:
    level: int
    after: dt.timedelta
    label: str
    audience: str
    colour: str
    repeat: dt.timedelta | None


def ladder_for(priority: int, category: str) -> list[Step]:
    rungs = list(EscalationRung.objects.filter(priority=priority, category__in=[category, ""]))
    specific = [r for r in rungs if r.category == category]
    chosen = specific or [r for r in rungs if not r.category]
    return [Step(r.level, dt.timedelta(seconds=r.after_seconds), r.label, r.audience, r.colour,
                 dt.timedelta(seconds=r.repeat_seconds) if r.repeat_seconds else None)
            for r in sorted(chosen, key=lambda r: r.level)]


def next_step(steps: list[Step], level: int) -> Step | None:
    for step in steps:
        if step.level > level:
            return step
    return None


def current_step(steps: list[Step], level: int) -> Step | None:
    found = None
    for step in steps:
        if step.level <= level:
            found = step
    return found


def first_due(*, steps: list[Step], level: int, queued_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When the alarm (waiting since ``queued_at`` at ``level``) next escalates."""
    upcoming = next_step(steps, level)
    if upcoming is None:
        current = current_step(steps, level)
        if current is not None and current.repeat:
            return max(queued_at, now) + current.repeat
        return now + NO_LADDER_RECHECK
    current = current_step(steps, level)
    already = current.after if current else dt.timedelta(0)
    return queued_at + (upcoming.after - already)
