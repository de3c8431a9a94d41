"""Alarm deadlines: the escalation ladder (``Alarm.escalation_due_at``) and
hold returns (``Alarm.hold_until``)."""

from __future__ import annotations

from django.db.models import Min
from django.utils.translation import gettext as _

from alarms.models import Alarm
from alarms.services.escalation import alarm_escalate
from dispatch.engine import Rule, claim, register
from dispatch.ladder import NO_LADDER_RECHECK, current_step, first_due, ladder_for, next_step


def _escalation_candidates(now, excluded, limit):
    return list(Alarm.objects.filter(escalation_due_at__lte=now).exclude(pk__in=excluded)
                .order_by("escalation_due_at").values_list("pk", flat=True)[:limit])


def _escalation_fire(pk, now) -> bool:
    alarm = claim(Alarm, pk, escalation_due_at__lte=now)
    if alarm is None:
        return False
    if alarm.state != Alarm.State.OPEN:
        # Taken or held meanwhile: the ladder stops; re-armed if it comes back.
        Alarm.objects.filter(pk=pk).update(escalation_due_at=None)
        return False
    steps = ladder_for(alarm.priority, alarm.category)
    scheduled = alarm.escalation_due_at
    step = next_step(steps, alarm.escalation_level)
    if step is None:
        current = current_step(steps, alarm.escalation_level)
        if current is None or current.repeat is None:
            Alarm.objects.filter(pk=pk).update(escalation_due_at=now + NO_LADDER_RECHECK)
            return False
        return alarm_escalate(alarm_id=pk, level=current.level, label=_("%(label)s (rappel)") % {
            "label": current.label}, audience=current.audience, colour=current.colour,
            next_due_at=max(scheduled + current.repeat, now), data={"repeat": True}) is not None
    following = next_step(steps, step.level)
    if following is not None:
        next_due = scheduled + (following.after - step.after)
    elif step.repeat is not None:
        next_due = scheduled + step.repeat
    else:
        next_due = now + NO_LADDER_RECHECK
    return alarm_escalate(alarm_id=pk, level=step.level, label=step.label, audience=step.audience,
                          colour=step.colour, next_due_at=next_due) is not None


def _escalation_next():
    return Alarm.objects.filter(escalation_due_at__isnull=False).aggregate(m=Min("escalation_due_at"))["m"]


def _arm_candidates(now, excluded, limit):
    return list(Alarm.objects.filter(state=Alarm.State.OPEN, escalation_due_at__isnull=True)
                .exclude(pk__in=excluded).values_list("pk", flat=True)[:limit])


def _arm_fire(pk, now) -> bool:
    """An alarm in the queue with no ladder deadline (new, or back from a hold
    or a release): set it. Counted from creation the first time, from now
    when the alarm comes back to the queue."""
    alarm = claim(Alarm, pk, state=Alarm.State.OPEN, escalation_due_at__isnull=True)
    if alarm is None:
        return False
    # created_at is the database clock; never count from a moment after ``now``
    # (a clock skew between this host and PostgreSQL must not delay escalation).
    queued_at = min(alarm.created_at, now) if alarm.first_taken_at is None else now
    steps = ladder_for(alarm.priority, alarm.category)
    due = first_due(steps=steps, level=alarm.escalation_level, queued_at=queued_at, now=now)
    Alarm.objects.filter(pk=pk).update(escalation_due_at=due)
    return False


def _hold_candidates(now, excluded, limit):
    return list(Alarm.objects.filter(hold_until__lte=now, state=Alarm.State.HOLD).exclude(pk__in=excluded)
                .order_by("hold_until").values_list("pk", flat=True)[:limit])


def _hold_fire(pk, now) -> bool:
    from alarms.services.lifecycle import alarm_hold_expire  # CONSOLE's service (contracts §2)

    if claim(Alarm, pk, hold_until__lte=now, state=Alarm.State.HOLD) is None:
        return False
    return bool(alarm_hold_expire(alarm_id=pk))


def _hold_next():
    return Alarm.objects.filter(state=Alarm.State.HOLD).aggregate(m=Min("hold_until"))["m"]


register(Rule("escalation", _escalation_candidates, _escalation_fire, _escalation_next))
register(Rule("escalation_arm", _arm_candidates, _arm_fire))
register(Rule("hold_return", _hold_candidates, _hold_fire, _hold_next))
