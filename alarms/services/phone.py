"""Incoming phone calls taken with the guided form: rate the urgency, then
create an alarm (through intake's ``alarm_open_manual``), complete an
existing one, or write a logbook entry when it was only advice."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.models import AlarmComment, PhoneCall
from alarms.services.lifecycle import AlarmError, _entry, _locked, _require_staff, _save, user_label
from logbook.models import Category as LogCategory
from logbook.services import entries_append, entry_append

# What the caller sees -> (alarm category, priority); None: advice only.
URGENCY = {
    PhoneCall.Seen.FIRE: ("fire", 1),
    PhoneCall.Seen.ASSAULT: ("panic", 1),
    PhoneCall.Seen.MEDICAL: ("medical", 1),
    PhoneCall.Seen.INTRUSION: ("alarm", 2),
    PhoneCall.Seen.DAMAGE: ("alarm", 3),
    PhoneCall.Seen.TECHNICAL: ("trouble", 5),
    PhoneCall.Seen.INFORMATION: (None, None),
}


def rate_urgency(seen: str, danger: bool) -> tuple[str | None, int | None]:
    """Someone in danger is always priority 1; information is not an alarm."""
    category, priority = URGENCY.get(seen, (None, None))
    if danger:
        return category or "panic", 1
    return category, priority


def phone_call_record(*, operator, caller_name: str, location: str, seen: str, reformulation: str,
                      read_back: bool, caller_phone: str = "", caller_role: str = "", site=None,
                      alarm_id: int | None = None, description: str = "", danger: bool = False) -> PhoneCall:
    _require_staff(operator)
    caller_name, location, reformulation = (caller_name or "").strip(), (location or "").strip(), \
        (reformulation or "").strip()
    if seen not in PhoneCall.Seen.values:
        raise AlarmError(_("Indiquez ce que l'appelant constate."))
    if not caller_name or not location:
        raise AlarmError(_("Indiquez qui appelle et d'où."))
    if not reformulation or not read_back:
        raise AlarmError(_("Reformulez l'appel et faites-le confirmer par l'appelant."))
    category, priority = rate_urgency(seen, danger)
    summary = _("Appel de %(who)s (%(role)s, %(phone)s) — %(seen)s à %(where)s. %(desc)s Reformulation : %(ref)s") % {
        "who": caller_name, "role": caller_role or "-", "phone": caller_phone or "-",
        "seen": PhoneCall.Seen(seen).label, "where": location, "desc": description, "ref": reformulation}
    fields = dict(caller_name=caller_name[:150], caller_phone=caller_phone[:32], caller_role=caller_role[:80],
                  site=site, location=location[:250], seen=seen, description=description, danger=danger,
                  reformulation=reformulation, read_back=True, operator=operator,
                  operator_name=user_label(operator))
    with transaction.atomic():
        if alarm_id:
            alarm = _locked(alarm_id)
            if not alarm.is_active:
                raise AlarmError(_("L'alarme est clôturée : créez-en une nouvelle."))
            changed = []
            if priority is not None and priority < alarm.priority:
                alarm.priority = priority
                changed.append("priority")
            call = PhoneCall.objects.create(**(fields | {"site": alarm.site}), priority=alarm.priority,
                                            outcome=PhoneCall.Outcome.UPDATED, alarm=alarm)
            AlarmComment.objects.create(alarm=alarm, kind=AlarmComment.Kind.PHONE_CALL, text=summary,
                                        author=operator, author_name=user_label(operator))
            _save(alarm, changed)
            feed_record(alarm=alarm, kind="phone_call", actor=operator, data={"call": call.pk})
            entries_append([_entry("alarm.phone_call", alarm, operator, summary,
                                   new={"priority": alarm.priority, "danger": danger, "seen": seen})])
            return call
        if priority is None:
            call = PhoneCall.objects.create(**fields, priority=9, outcome=PhoneCall.Outcome.ADVICE)
            entry_append(action="phone.advice", category=LogCategory.ADVICE, actor=operator, message=summary,
                         site=site, customer=site.customer if site else None, new={"seen": seen})
            return call
        if site is None:
            raise AlarmError(_("Choisissez le site concerné pour créer l'alarme."))
        from alarms.services.intake import IntakeError, alarm_open_manual

        try:
            alarm = alarm_open_manual(site=site, operator=operator, category=category, priority=priority,
                                      title=(_("Appel : %(seen)s") % {"seen": PhoneCall.Seen(seen).label})[:200],
                                      description=summary)
        except IntakeError as exc:
            raise AlarmError(str(exc))
        call = PhoneCall.objects.create(**fields, priority=priority, outcome=PhoneCall.Outcome.CREATED,
                                        alarm=alarm)
        AlarmComment.objects.create(alarm=alarm, kind=AlarmComment.Kind.PHONE_CALL, text=summary,
                                    author=operator, author_name=user_label(operator))
        entries_append([_entry("alarm.phone_call", alarm, operator, summary,
                               new={"priority": priority, "danger": danger, "seen": seen})])
    return call
