"""Handling an alarm by the site's consignes: checklist steps, call attempts
(with the spoken password check), levée de doute evidence, public-service
calls behind the police-call gate, client notification.

Same rules as lifecycle.py: one transaction per use case, a feed row, the
logbook entry last; side effects (DISPATCH's call-out) only on commit.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.hooks import client_notifier
from alarms.models import AlarmComment, AlarmStep, CallAttempt, Evidence, PublicServiceCall
from alarms.models.handling import PUBLIC_SERVICE_NUMBERS, CallOutcome, PublicService
from alarms.selectors import GATED_SERVICES, verification_status
from alarms.services.lifecycle import (
    AlarmError,
    _entry,
    _locked,
    _require_holder,
    _require_staff,
    _save,
    user_label,
)
from logbook.services import entries_append
from sites.models import Contact


class VerificationRequired(AlarmError):
    """Levée de doute: the police may not be called for an intrusion before verification."""


def _step(alarm, step_id) -> AlarmStep:
    try:
        return AlarmStep.objects.select_for_update().get(pk=step_id, alarm=alarm)
    except (AlarmStep.DoesNotExist, ValueError, TypeError):
        raise AlarmError(_("Étape introuvable."))


def alarm_step_done(*, alarm_id: int, operator, step_id: int, note: str = "") -> AlarmStep:
    _require_staff(operator)
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        step = _step(alarm, step_id)
        if not step.is_open:
            return step
        step.state, step.note = AlarmStep.State.DONE, (note or "").strip()[:300]
        step.done_at, step.done_by, step.done_by_name = timezone.now(), operator, user_label(operator)
        step.save()
        _save(alarm, [])
        feed_record(alarm=alarm, kind="step", actor=operator, data={"step": step.pk, "state": step.state})
        entries_append([_entry("alarm.step_done", alarm, operator,
                               (_("Étape faite : %(s)s. %(n)s") % {"s": step.kind_label, "n": step.note}).strip(),
                               new={"step": step.order, "kind": step.kind})])
    return step


def alarm_step_skip(*, alarm_id: int, operator, step_id: int, reason: str) -> AlarmStep:
    _require_staff(operator)
    reason = (reason or "").strip()
    if not reason:
        raise AlarmError(_("Indiquez pourquoi l'étape n'est pas faite."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        step = _step(alarm, step_id)
        if not step.is_open:
            return step
        step.state, step.note = AlarmStep.State.SKIPPED, reason[:300]
        step.done_at, step.done_by, step.done_by_name = timezone.now(), operator, user_label(operator)
        step.save()
        _save(alarm, [])
        feed_record(alarm=alarm, kind="step", actor=operator, data={"step": step.pk, "state": step.state})
        entries_append([_entry("alarm.step_skipped", alarm, operator,
                               _("Étape non faite : %(s)s. Motif : %(r)s") % {"s": step.kind_label, "r": reason},
                               new={"step": step.order, "kind": step.kind, "reason": reason})])
    return step


def alarm_call_record(*, alarm_id: int, operator, outcome: str = "", contact_id: int | None = None,
                      name: str = "", phone: str = "", spoken_password: str = "", note: str = "") -> CallAttempt:
    """A call made for this alarm. When the person gives the site's password, it is
    checked here (never stored): correct, wrong, or the duress password — in which
    case the alarm goes to priority 1 and the operator is told to act as if all is well."""
    _require_staff(operator)
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        contact = None
        if contact_id:
            contact = Contact.objects.filter(pk=contact_id, site_id=alarm.site_id).first()
            if contact is None:
                raise AlarmError(_("Ce contact n'appartient pas au site de l'alarme."))
        if spoken_password:
            if contact is None:
                raise AlarmError(_("Le mot de passe se vérifie pour un contact de la liste d'appel."))
            outcome = {"ok": CallOutcome.PASSWORD_OK, "duress": CallOutcome.DURESS}.get(
                contact.check_spoken_password(spoken_password), CallOutcome.WRONG_PASSWORD)
        if outcome not in CallOutcome.values:
            raise AlarmError(_("Choisissez le résultat de l'appel."))
        attempt = CallAttempt.objects.create(
            alarm=alarm, contact=contact, name=(contact.name if contact else name.strip())[:150] or _("Inconnu"),
            phone=(phone or (contact.phone if contact else ""))[:32], outcome=outcome, note=(note or "")[:300],
            operator=operator, operator_name=user_label(operator))
        fields = []
        if outcome == CallOutcome.DURESS and alarm.priority > 1:
            alarm.priority = 1
            fields.append("priority")
        _save(alarm, fields)
        feed_record(alarm=alarm, kind="duress" if outcome == CallOutcome.DURESS else "call", actor=operator,
                    data={"call": attempt.pk, "outcome": outcome})
        label = CallOutcome(outcome).label
        entries_append([_entry("alarm.call", alarm, operator,
                               (_("Appel %(who)s (%(phone)s) : %(outcome)s. %(note)s") % {
                                   "who": attempt.name, "phone": attempt.phone, "outcome": label,
                                   "note": attempt.note}).strip(),
                               new={"outcome": outcome, "contact": contact.pk if contact else None})])
    return attempt


def alarm_evidence_add(*, alarm_id: int, operator, kind: str, text: str) -> Evidence:
    _require_staff(operator)
    text = (text or "").strip()
    if kind not in Evidence.Kind.values:
        raise AlarmError(_("Type de levée de doute inconnu."))
    if len(text) < 5:
        raise AlarmError(_("Décrivez ce qui a été constaté."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        evidence = Evidence.objects.create(alarm=alarm, kind=kind, text=text, operator=operator,
                                           operator_name=user_label(operator))
        _save(alarm, [])
        feed_record(alarm=alarm, kind="evidence", actor=operator, data={"evidence": evidence.pk})
        entries_append([_entry("alarm.evidence", alarm, operator,
                               _("Levée de doute (%(k)s) : %(t)s") % {"k": Evidence.Kind(kind).label, "t": text},
                               new={"kind": kind})])
    return evidence


def alarm_public_service_call(*, alarm_id: int, operator, service: str, reference: str,
                              note: str = "") -> PublicServiceCall:
    """Record a request for intervention to 17/18/15/112 with the reference given.
    Police-call gate: for an intrusion alarm, calling police or gendarmerie (or 112)
    needs a recorded verification first (video seen, two call attempts with their
    outcome, or a written justification)."""
    _require_staff(operator)
    reference = (reference or "").strip()
    if service not in PublicService.values:
        raise AlarmError(_("Service inconnu."))
    if not reference:
        raise AlarmError(_("Notez la référence donnée par le service (nom, matricule ou numéro d'intervention)."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        status = verification_status(alarm)
        if service in GATED_SERVICES and not status["satisfied"]:
            raise VerificationRequired(_(
                "Levée de doute obligatoire avant d'appeler les forces de l'ordre pour une intrusion : "
                "vidéo visionnée, deux appels avec leur résultat, ou justification écrite."))
        call = PublicServiceCall.objects.create(
            alarm=alarm, service=service, reference=reference[:80], note=(note or "")[:300],
            verification=status, operator=operator, operator_name=user_label(operator))
        _save(alarm, [])
        feed_record(alarm=alarm, kind="public_call", actor=operator, data={"service": service})
        entries_append([_entry("alarm.public_service_call", alarm, operator,
                               (_("Appel %(s)s (%(n)s), référence %(r)s. %(note)s") % {
                                   "s": PublicService(service).label, "n": PUBLIC_SERVICE_NUMBERS[service],
                                   "r": reference, "note": call.note}).strip(),
                               new={"service": service, "reference": reference,
                                    "verification": status["reasons"]})])
    return call


def alarm_client_notify(*, alarm_id: int, operator, note: str, channel: str = "phone") -> AlarmComment:
    """The client was told (by phone, or by the automatic call-out when DISPATCH provides one)."""
    _require_staff(operator)
    note = (note or "").strip()
    if not note:
        raise AlarmError(_("Indiquez qui a été prévenu et comment."))
    notifier = client_notifier()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        if alarm.state == alarm.State.CLOSED:
            raise AlarmError(_("L'alarme est clôturée."))
        comment = AlarmComment.objects.create(alarm=alarm, kind=AlarmComment.Kind.CLIENT_NOTIFIED, text=note,
                                              author=operator, author_name=user_label(operator))
        _save(alarm, [])
        feed_record(alarm=alarm, kind="client_notified", actor=operator, data={"channel": channel})
        entries_append([_entry("alarm.client_notified", alarm, operator,
                               _("Client prévenu (%(c)s) : %(n)s") % {"c": channel, "n": note},
                               new={"channel": channel, "callout": bool(notifier and channel == "callout")})])
        if notifier is not None and channel == "callout":
            alarm_pk, user_pk = alarm.pk, operator.pk
            transaction.on_commit(lambda: notifier(alarm_id=alarm_pk, operator_id=user_pk, note=note))
    return comment
