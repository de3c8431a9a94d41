"""Escalation of an alarm: a feed row (kind ``escalated``) and a logbook entry
(``alarm.escalated``), in one transaction.

Who decides *when* lives in dispatch (the ladder, ETA overruns, call-outs
nobody answered); this service only records *that* it happened, so the
console (which reads the feed) re-alerts and recolours the alarm.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.models import Alarm
from logbook.models import Category
from logbook.services import entry_append

REASONS = ("ladder", "eta_overrun", "callout_unanswered", "not_normal", "timers")


def alarm_escalate(*, alarm_id: int, level: int, label: str, reason: str = "ladder",
                   audience: str = "operators", colour: str = "amber",
                   next_due_at: dt.datetime | None = None, data: dict | None = None) -> Alarm | None:
    """Record one escalation of an alarm. Returns the alarm, or None when the
    ladder no longer applies (the alarm was taken or closed meanwhile).

    ``reason="ladder"`` only escalates an alarm still waiting in the queue and
    sets its next rung (``next_due_at``); the other reasons escalate whatever
    the alarm's state (an ETA overrun matters even when the alarm is taken).
    """
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}")
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).select_related("site", "customer").get(pk=alarm_id)
        if reason == "ladder":
            if alarm.state != Alarm.State.OPEN:
                if alarm.escalation_due_at is not None:
                    alarm.escalation_due_at = None
                    alarm.save(update_fields=["escalation_due_at"])
                return None
            alarm.escalation_due_at = next_due_at
        old_level = alarm.escalation_level
        alarm.escalation_level = max(old_level, level)
        alarm.version += 1
        alarm.save(update_fields=["escalation_level", "escalation_due_at", "version"])
        payload = {"level": level, "label": label, "reason": reason, "audience": audience, "colour": colour}
        payload.update(data or {})
        feed_record(alarm=alarm, kind="escalated", actor_name="ARC", data=payload)
        entry_append(
            action="alarm.escalated", category=Category.ALARM, alarm=alarm, site=alarm.site,
            customer=alarm.customer, old={"escalation_level": old_level},
            new={"escalation_level": alarm.escalation_level, "level": level, "reason": reason,
                 "audience": audience, "label": label},
            message=_("Escalade niveau %(level)s : %(label)s") % {"level": level, "label": label},
        )
    return alarm


def alarm_escalation_arm(*, alarm_id: int, due_at: dt.datetime) -> bool:
    """Set the first (or next) ladder deadline of an alarm waiting in the queue,
    unless one is already set. A conditional UPDATE: safe to repeat."""
    return bool(Alarm.objects.filter(pk=alarm_id, state=Alarm.State.OPEN, escalation_due_at__isnull=True)
                .update(escalation_due_at=due_at))
