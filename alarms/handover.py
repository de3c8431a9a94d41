"""The console's part of the shift handover: the alarms still open, most
urgent first, with who handles them, and the storm rules in force
(registered with logbook.handover in AlarmsConfig.ready())."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from alarms.selectors import queue_for
from alarms.storm import active_rules


def open_alarms_lines(user) -> list[str]:
    now = timezone.now()
    lines = []
    for alarm in queue_for(user)[:200]:
        minutes = int((now - alarm.created_at).total_seconds() // 60) if alarm.created_at else 0
        holder = alarm.taken_by.get_full_name() or alarm.taken_by.get_username() if alarm.taken_by_id else ""
        where = alarm.site.name if alarm.site_id else f"#{alarm.account}"
        state = str(alarm.get_state_display())
        if holder:
            state = _("%(state)s par %(who)s") % {"state": state, "who": holder}
        if alarm.state == alarm.State.HOLD and alarm.hold_until:
            state += " " + _("jusqu'à %(t)s") % {"t": timezone.localtime(alarm.hold_until).strftime("%H:%M")}
        lines.append(_("A%(id)s P%(p)s %(title)s — %(where)s — %(state)s, depuis %(m)d min") % {
            "id": alarm.pk, "p": alarm.priority, "title": alarm.title, "where": where, "state": state, "m": minutes})
    for rule in active_rules(now):
        lines.append(_("Mode tempête actif jusqu'à %(t)s : %(rule)s") % {
            "t": timezone.localtime(rule.ends_at).strftime("%H:%M"), "rule": rule})
    return lines
