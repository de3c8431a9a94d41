"""Alarm writes of intake: create, attach (grouping), restore. Called inside
the intake transaction; each writes its feed row and returns the logbook
``Entry`` for the caller to append last (logbook.services.entries_append)."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.models import Alarm
from logbook.models import Category as LogCategory
from logbook.services import Entry


def alarm_entry_values(alarm: Alarm) -> dict:
    return {"priority": alarm.priority, "category": alarm.category, "kind": alarm.kind,
            "source": alarm.source, "code": alarm.code, "zone": alarm.zone.number if alarm.zone_id else ""}


def create_alarm(*, site, transmitter=None, account: str = "", source: str, kind: str, category: str,
                 priority: int, code: str, title: str, description: str = "", zone=None, at: dt.datetime,
                 state: str = Alarm.State.OPEN, hold_until=None, restore_pending: bool = False,
                 actor=None, entries: list) -> Alarm:
    alarm = Alarm.objects.create(
        site=site, customer=site.customer if site else None, zone=zone, transmitter=transmitter,
        account=account, source=source, kind=kind, category=category, priority=priority, code=code[:8],
        title=title[:200], description=description, state=state, hold_until=hold_until,
        restore_pending=restore_pending, first_signal_at=at, last_signal_at=at, signal_count=1,
    )
    data = alarm_entry_values(alarm) | {"title": alarm.title}
    if hold_until:
        data["restore_wait_until"] = hold_until.isoformat()
    feed_record(alarm=alarm, kind="created", actor=actor, data=data)
    message = _("Alarme créée : %(title)s (P%(priority)s)") % {"title": alarm.title, "priority": alarm.priority}
    if hold_until:
        message += " " + _("— en attente de rétablissement jusqu'à %(t)s") % {"t": hold_until.strftime("%H:%M:%S")}
    entries.append(Entry(action="alarm.created", category=LogCategory.ALARM, actor=actor, alarm=alarm,
                         site=site, customer=site.customer if site else None,
                         new=alarm_entry_values(alarm), message=message))
    return alarm


def attach_signal(*, alarm: Alarm, category: str, priority: int, code: str, title: str, at: dt.datetime,
                  signal_id: int, entries: list) -> Alarm:
    """Group a signal into the site's open alarm; a more urgent signal raises the alarm's priority."""
    updates = {"signal_count": F("signal_count") + 1, "last_signal_at": at, "version": F("version") + 1}
    raised = priority < alarm.priority
    old = {"priority": alarm.priority, "category": alarm.category}
    if raised:
        updates.update(priority=priority, category=category, code=code[:8], title=title[:200])
    Alarm.objects.filter(pk=alarm.pk).update(**updates)
    # The row is locked (select_for_update) by the caller: mirror the update instead of re-reading it.
    alarm.signal_count += 1
    alarm.last_signal_at = at
    alarm.version += 1
    if raised:
        alarm.priority, alarm.category, alarm.code, alarm.title = priority, category, code[:8], title[:200]
    feed_record(alarm=alarm, kind="signal", data={"signal": signal_id, "code": code, "title": title,
                                                 "priority": priority, "raised": raised})
    message = _("Signal rattaché : %(title)s") % {"title": title}
    if raised:
        message += " " + _("(priorité relevée de P%(old)s à P%(new)s)") % {"old": old["priority"], "new": priority}
    entries.append(Entry(action="alarm.signal_attached", category=LogCategory.SIGNAL, alarm=alarm,
                         site=alarm.site, customer=alarm.customer, old=old if raised else None,
                         new={"signal": signal_id, "code": code, "priority": priority, "category": category},
                         message=message))
    return alarm


def record_restore(*, alarm: Alarm, code: str, zone: str, at: dt.datetime, signal_id: int,
                   entries: list) -> Alarm:
    """A restore on its alarm. An alarm still waiting for its restore (restore delay) closes by itself."""
    auto_close = alarm.state == Alarm.State.HOLD and alarm.restore_pending and alarm.taken_by_id is None
    updates = {"restored_at": at, "restore_pending": False, "last_signal_at": at,
               "signal_count": F("signal_count") + 1, "version": F("version") + 1}
    if auto_close:
        updates.update(state=Alarm.State.CLOSED, closed_at=at, hold_until=None, qualification="technical",
                       closure_code="restored_within_delay",
                       closure_note=_("Rétabli pendant le délai d'attente du rétablissement"))
    Alarm.objects.filter(pk=alarm.pk).update(**updates)
    alarm.refresh_from_db()
    feed_record(alarm=alarm, kind="restore", data={"signal": signal_id, "code": code, "zone": zone,
                                                  "auto_closed": auto_close})
    entries.append(Entry(action="alarm.restore", category=LogCategory.SIGNAL, alarm=alarm, site=alarm.site,
                         customer=alarm.customer, new={"code": code, "zone": zone, "auto_closed": auto_close},
                         message=_("Rétablissement reçu (%(code)s, zone %(zone)s)") % {"code": code,
                                                                                        "zone": zone or "-"}))
    if auto_close:
        entries.append(Entry(action="alarm.closed", category=LogCategory.ALARM, alarm=alarm, site=alarm.site,
                             customer=alarm.customer,
                             new={"qualification": "technical", "closure_code": "restored_within_delay",
                                  "priority": alarm.priority, "category": alarm.category},
                             message=_("Alarme close automatiquement : rétablie pendant le délai d'attente")))
    return alarm
