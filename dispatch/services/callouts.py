"""Call-outs: automated notifications of a site's contacts.

A call-out starts when the site's consignes hold an automatic step
(``call_list``: contacts one after another until one acknowledges;
``notify_client``: everyone at once, no acknowledgement awaited) or when a
fault stays open (the installer). ``CallOut.next_at`` is the deadline to move
on to the next contact; each attempt is a row with its own ``due_at``.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.models import Alarm
from dispatch.models import CallOut, CallOutAttempt, WebhookEndpoint
from logbook.models import Category
from logbook.services import entry_append
from sites.models import Contact, ProcedureStep
from sites.phones import normalise_phone
from sites.selectors import call_list, procedure_for

logger = logging.getLogger(__name__)

AUTOMATIC_KINDS = (ProcedureStep.Kind.CALL_LIST, ProcedureStep.Kind.NOTIFY_CLIENT)


class CallOutError(Exception):
    """A request the call-out's state does not allow; the message is for the user."""


def _enqueue(attempt_ids: list[int]) -> None:
    if not attempt_ids:
        return

    def send():
        from dispatch.tasks import attempt_send

        for pk in attempt_ids:
            try:
                attempt_send.delay(pk)
            except Exception:  # broker down: the tick's sweep sends it (due_at is the record)
                logger.warning("could not enqueue attempt %s; the tick will pick it up", pk)

    transaction.on_commit(send)


def _enqueue_later(attempt_id: int, delay: int) -> None:
    """An ETA task for precision; the row's due_at stays the record (the tick sweeps it)."""

    def send():
        from dispatch.tasks import attempt_send

        try:
            attempt_send.apply_async((attempt_id,), countdown=delay)
        except Exception:
            logger.warning("could not enqueue retry of attempt %s; the tick will pick it up", attempt_id)

    transaction.on_commit(send)


def _feed(callout: CallOut, kind: str, data: dict, actor_name: str = "ARC") -> None:
    if callout.alarm_id:
        alarm = Alarm.objects.get(pk=callout.alarm_id)
        feed_record(alarm=alarm, kind=kind, actor_name=actor_name, data={"callout": callout.pk, **data})


def _alarm_message(alarm: Alarm) -> str:
    return _("ARC télésurveillance : %(title)s — %(site)s (%(city)s), %(when)s.") % {
        "title": alarm.title, "site": alarm.site.name, "city": alarm.site.city,
        "when": timezone.localtime(alarm.created_at, alarm.site.tz).strftime("%d/%m %H:%M")}


def _channels_for(contact: Contact) -> list[tuple[str, str]]:
    found = []
    for channel in settings.CALLOUT_CHANNELS:
        if channel in ("sms", "voice") and contact.phone:
            found.append((channel, normalise_phone(contact.phone)))
        elif channel == "email" and contact.email:
            found.append((channel, contact.email))
    return found


def _new_attempts(callout: CallOut, contact: Contact | None, targets, now) -> list[int]:
    ids = []
    for channel, address in targets:
        attempt = CallOutAttempt.objects.create(
            callout=callout, contact=contact, contact_name=contact.name if contact else address[:150],
            channel=channel, address=address, due_at=now)
        ids.append(attempt.pk)
    return ids


def callouts_start_for_alarm(*, alarm_id: int) -> list[CallOut]:
    """Start the automatic steps of the alarm's consignes (idempotent: one call-out per step)."""
    now = timezone.now()
    started = []
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).select_related("site__customer").get(pk=alarm_id)
        if alarm.site is None or alarm.state == Alarm.State.CLOSED:
            return []
        procedure = procedure_for(alarm.site, alarm.category)
        if procedure is None:
            return []
        steps = [s for s in procedure.steps.all() if s.automatic and s.kind in AUTOMATIC_KINDS]
        done = set(CallOut.objects.filter(alarm=alarm, step__in=steps).values_list("step_id", flat=True))
        attempt_ids: list[int] = []
        for step in steps:
            if step.pk in done:
                continue
            contacts = list(call_list(alarm.site))
            callout = CallOut.objects.create(
                alarm=alarm, site=alarm.site, step=step, message=_alarm_message(alarm),
                reason=CallOut.Reason.CALL_LIST if step.kind == ProcedureStep.Kind.CALL_LIST
                else CallOut.Reason.NOTIFY_CLIENT,
                contact_ids=[c.pk for c in contacts], next_at=now)
            attempt_ids += _advance(callout, now)
            started.append(callout)
            _feed(callout, "callout", {"state": "started", "reason": callout.reason})
            entry_append(action="callout.started", category=Category.DISPATCH, alarm=alarm, site=alarm.site,
                         customer=alarm.customer, new={"callout": callout.pk, "reason": callout.reason,
                                                       "contacts": len(contacts)},
                         message=_("Appel automatique lancé (%(reason)s, %(n)s contact(s))") % {
                             "reason": callout.get_reason_display(), "n": len(contacts)})
        _enqueue(attempt_ids)
    return started


def callout_start_manual(*, alarm_id: int, operator) -> CallOut:
    """An operator starts the call list by hand (consignes without an automatic step)."""
    from sites.roles import is_staff_member

    if not is_staff_member(operator):
        raise CallOutError(_("Réservé au personnel du centre."))
    now = timezone.now()
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).select_related("site__customer").get(pk=alarm_id)
        if alarm.site is None or not alarm.is_active:
            raise CallOutError(_("L'alarme n'est plus active."))
        if CallOut.objects.filter(alarm=alarm, reason=CallOut.Reason.CALL_LIST,
                                  state=CallOut.State.RUNNING).exists():
            raise CallOutError(_("Un appel de la liste est déjà en cours pour cette alarme."))
        contacts = list(call_list(alarm.site))
        if not contacts:
            raise CallOutError(_("La liste d'appel du site est vide."))
        callout = CallOut.objects.create(alarm=alarm, site=alarm.site, reason=CallOut.Reason.CALL_LIST,
                                         message=_alarm_message(alarm), contact_ids=[c.pk for c in contacts],
                                         next_at=now)
        ids = _advance(callout, now)
        _feed(callout, "callout", {"state": "started", "reason": callout.reason}, actor_name=operator.get_username())
        entry_append(action="callout.started", category=Category.DISPATCH, actor=operator, alarm=alarm,
                     site=alarm.site, customer=alarm.customer,
                     new={"callout": callout.pk, "reason": callout.reason, "contacts": len(contacts), "manual": True},
                     message=_("Appel de la liste lancé par l'opérateur (%(n)s contact(s))") % {"n": len(contacts)})
        _enqueue(ids)
    return callout


def callout_fault_notice(*, fault) -> CallOut | None:
    """A fault open too long: tell the installer / maintenance contact (once per fault)."""
    from sites.models import Site

    now = timezone.now()
    site = Site.objects.select_related("installer", "customer").get(pk=fault.site_id)
    if site.installer is None or CallOut.objects.filter(fault_id=fault.pk).exists():
        return None
    message = _("ARC télésurveillance : défaut « %(kind)s » en cours depuis le %(since)s sur %(site)s (%(city)s). "
                "Merci d'intervenir.") % {
        "kind": fault.get_kind_display(), "site": site.name, "city": site.city,
        "since": timezone.localtime(fault.opened_at, site.tz).strftime("%d/%m %H:%M")}
    callout = CallOut.objects.create(site=site, fault_id=fault.pk, reason=CallOut.Reason.FAULT, message=message,
                                     contact_ids=[site.installer.pk], state=CallOut.State.DONE, ended_at=now)
    ids = _new_attempts(callout, site.installer, _channels_for(site.installer), now)
    entry_append(action="fault.installer_notified", category=Category.DISPATCH, site=site, customer=site.customer,
                 new={"fault": fault.pk, "kind": fault.kind, "installer": site.installer.name},
                 message=_("Défaut %(kind)s ouvert depuis plus de %(m)s min : installateur %(name)s prévenu") % {
                     "kind": fault.get_kind_display(), "m": settings.FAULT_NOTICE_MINUTES,
                     "name": site.installer.name})
    _enqueue(ids)
    return callout


def _advance(callout: CallOut, now: dt.datetime) -> list[int]:
    """Call the next available contact (call list) or everybody (notify). Caller holds the lock."""
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=callout.contact_ids)}
    if callout.reason == CallOut.Reason.NOTIFY_CLIENT:
        ids = []
        for pk in callout.contact_ids:
            if pk in contacts and contacts[pk].available_at(now):
                ids += _new_attempts(callout, contacts[pk], _channels_for(contacts[pk]), now)
        for hook in WebhookEndpoint.objects.filter(customer_id=callout.site.customer_id, active=True):
            ids += _new_attempts(callout, None, [("webhook", hook.url)], now)
        callout.state, callout.next_at, callout.ended_at = CallOut.State.DONE, None, now
        callout.position = len(callout.contact_ids)
        callout.save(update_fields=["state", "next_at", "ended_at", "position"])
        return ids
    while callout.position < len(callout.contact_ids):
        contact = contacts.get(callout.contact_ids[callout.position])
        callout.position += 1
        if contact is None:
            continue
        if not contact.available_at(now):
            CallOutAttempt.objects.create(callout=callout, contact=contact, contact_name=contact.name,
                                          channel=CallOutAttempt.Channel.SMS, address=contact.phone,
                                          state=CallOutAttempt.State.CANCELLED, finished_at=now,
                                          error=_("Indisponible à cette heure (planning du contact)"))
            continue
        targets = _channels_for(contact)
        if not targets:
            continue
        ids = _new_attempts(callout, contact, targets, now)
        callout.next_at = now + dt.timedelta(seconds=settings.CALLOUT_CONTACT_WAIT_SECONDS)
        callout.save(update_fields=["position", "next_at"])
        return ids
    callout.save(update_fields=["position"])
    _exhaust(callout, now)
    return []


def _exhaust(callout: CallOut, now: dt.datetime) -> None:
    from alarms.services.escalation import alarm_escalate

    callout.state, callout.next_at, callout.ended_at = CallOut.State.EXHAUSTED, None, now
    callout.save(update_fields=["state", "next_at", "ended_at"])
    _feed(callout, "callout", {"state": "exhausted"})
    alarm = callout.alarm
    entry_append(action="callout.exhausted", category=Category.DISPATCH, alarm=alarm, site=callout.site,
                 customer=callout.site.customer, new={"callout": callout.pk},
                 message=_("Liste d'appel épuisée : aucun contact n'a acquitté"))
    if alarm is not None:
        alarm_escalate(alarm_id=alarm.pk, level=max(alarm.escalation_level, 1) + 1, reason="callout_unanswered",
                       label=_("Liste d'appel sans réponse"), audience="supervisors", colour="red",
                       data={"callout": callout.pk})


def callout_next(*, callout_id: int, now: dt.datetime | None = None) -> bool:
    """The deadline ``next_at`` passed: next contact, or give up. Caller holds the lock (tick)."""
    now = now or timezone.now()
    callout = CallOut.objects.select_for_update(of=("self",)).select_related("site__customer", "alarm").get(pk=callout_id)
    if callout.state != CallOut.State.RUNNING:
        CallOut.objects.filter(pk=callout_id).update(next_at=None)
        return False
    ids = _advance(callout, now)
    if ids:
        _feed(callout, "callout", {"state": "next_contact", "position": callout.position})
    _enqueue(ids)
    return True


def callout_acknowledge(*, callout_id: int, by: str, via: str) -> CallOut:
    """A contact acknowledged (SMS code or signed link): the chain stops."""
    now = timezone.now()
    with transaction.atomic():
        callout = CallOut.objects.select_for_update(of=("self",)).select_related("site__customer", "alarm").get(pk=callout_id)
        if callout.state == CallOut.State.ACKNOWLEDGED:
            return callout
        if callout.state == CallOut.State.CANCELLED:
            raise CallOutError(_("Cet appel a été annulé."))
        callout.state, callout.next_at = CallOut.State.ACKNOWLEDGED, None
        callout.acknowledged_at, callout.acknowledged_by = now, by[:150]
        callout.ended_at = callout.ended_at or now
        callout.save(update_fields=["state", "next_at", "acknowledged_at", "acknowledged_by", "ended_at"])
        CallOutAttempt.objects.filter(callout=callout, state=CallOutAttempt.State.QUEUED).update(
            state=CallOutAttempt.State.CANCELLED, finished_at=now, error=_("Appel acquitté"))
        _feed(callout, "callout_ack", {"by": by, "via": via}, actor_name=by)
        entry_append(action="callout.acknowledged", category=Category.DISPATCH, alarm=callout.alarm,
                     site=callout.site, customer=callout.site.customer, actor_name=by[:150],
                     new={"callout": callout.pk, "via": via, "by": by},
                     message=_("Appel acquitté par %(by)s (%(via)s)") % {"by": by, "via": via})
    return callout


def callout_ack_by_sms(*, sender: str, body: str) -> CallOut | None:
    """An SMS reply: the code of a call-out whose SMS went to this number."""
    number = normalise_phone(sender)
    words = [w for w in "".join(c if c.isalnum() else " " for c in body).split() if w.isdigit()]
    for code in words:
        match = (CallOutAttempt.objects.filter(address=number, channel=CallOutAttempt.Channel.SMS,
                                               callout__ack_code=code)
                 .exclude(callout__state=CallOut.State.CANCELLED)
                 .select_related("callout").order_by("-id").first())
        if match is not None:
            return callout_acknowledge(callout_id=match.callout_id, by=match.contact_name or number, via="sms")
    return None


def callout_cancel(*, callout_id: int, operator) -> CallOut:
    with transaction.atomic():
        callout = CallOut.objects.select_for_update(of=("self",)).select_related("site__customer", "alarm").get(pk=callout_id)
        if callout.state != CallOut.State.RUNNING:
            raise CallOutError(_("Cet appel n'est plus en cours."))
        now = timezone.now()
        callout.state, callout.next_at, callout.ended_at = CallOut.State.CANCELLED, None, now
        callout.save(update_fields=["state", "next_at", "ended_at"])
        CallOutAttempt.objects.filter(callout=callout, state=CallOutAttempt.State.QUEUED).update(
            state=CallOutAttempt.State.CANCELLED, finished_at=now, error=_("Annulé par l'opérateur"))
        _feed(callout, "callout", {"state": "cancelled"}, actor_name=operator.get_username())
        entry_append(action="callout.cancelled", category=Category.DISPATCH, actor=operator, alarm=callout.alarm,
                     site=callout.site, customer=callout.site.customer, new={"callout": callout.pk},
                     message=_("Appel automatique arrêté par l'opérateur"))
    return callout


__all__ = ["CallOutError", "callouts_start_for_alarm", "callout_start_manual", "callout_fault_notice", "callout_next", "callout_acknowledge",
           "callout_ack_by_sms", "callout_cancel"]
