"""Shifts and their handover (relève). Every step is written to the logbook
in the same transaction as the state change."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from logbook.handover import collect_sections
from logbook.models import Category, Handover, Shift
from logbook.services import entry_append


class HandoverError(ValueError):
    """A handover step that cannot be done (wrong state, wrong person)."""


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _name(user) -> str:
    return (user.get_full_name() or user.get_username())[:150]


def open_shift(operator) -> Shift | None:
    return Shift.objects.filter(operator=operator, ended_at__isnull=True).first()


def shift_start(*, operator) -> Shift:
    """The operator takes the post. Idempotent: an open shift is returned as is."""
    with transaction.atomic():
        current = Shift.objects.select_for_update().filter(operator=operator, ended_at__isnull=True).first()
        if current is not None:
            return current
        try:
            with transaction.atomic():
                shift = Shift.objects.create(operator=operator, operator_name=_name(operator), started_at=db_now())
        except IntegrityError:  # a concurrent request opened it first
            return Shift.objects.get(operator=operator, ended_at__isnull=True)
        entry_append(action="shift.started", category=Category.SHIFT, actor=operator,
                     message=f"Prise de poste de {shift.operator_name}",
                     new={"shift": shift.pk})
    return shift


def handover_write(*, operator, notes: str) -> Handover:
    """The outgoing operator hands over: notes plus what the registered
    sections list (open alarms, running interventions), and the shift ends."""
    notes = (notes or "").strip()
    if not notes:
        raise HandoverError(_("Les consignes de relève sont obligatoires."))
    sections = collect_sections(operator)  # reads only; before any lock
    with transaction.atomic():
        now = db_now()
        shift = Shift.objects.select_for_update().filter(operator=operator, ended_at__isnull=True).first()
        if shift is not None:
            shift.ended_at = now
            shift.save(update_fields=["ended_at"])
        handover = Handover.objects.create(
            shift=shift, outgoing=operator, outgoing_name=_name(operator), notes=notes,
            sections=sections, written_at=now,
        )
        counts = {s["title"]: len(s["items"]) for s in sections}
        entry_append(action="shift.handover_written", category=Category.SHIFT, actor=operator,
                     message=f"Relève rédigée par {handover.outgoing_name} : {notes}",
                     new={"handover": handover.pk, "shift": shift.pk if shift else None, "sections": counts})
    return handover


def handover_acknowledge(*, handover_id: int, operator, remarks: str = "") -> Handover:
    """The incoming operator has read the handover; their shift starts."""
    remarks = (remarks or "").strip()
    with transaction.atomic():
        handover = Handover.objects.select_for_update().filter(pk=handover_id).first()
        if handover is None:
            raise HandoverError(_("Relève introuvable."))
        if handover.status != Handover.Status.WRITTEN:
            raise HandoverError(_("Cette relève a déjà été prise en compte par %(name)s.")
                                % {"name": handover.incoming_name})
        if handover.outgoing_id == operator.pk:
            raise HandoverError(_("L'opérateur sortant ne peut pas prendre en compte sa propre relève."))
        now = db_now()
        handover.status = Handover.Status.ACKNOWLEDGED
        handover.incoming = operator
        handover.incoming_name = _name(operator)
        handover.incoming_remarks = remarks
        handover.acknowledged_at = now
        handover.save()
        shift = Shift.objects.select_for_update().filter(operator=operator, ended_at__isnull=True).first()
        if shift is None:
            shift = Shift.objects.create(operator=operator, operator_name=_name(operator), started_at=now)
        entry_append(action="shift.handover_acknowledged", category=Category.SHIFT, actor=operator,
                     message=f"Relève de {handover.outgoing_name} prise en compte par {handover.incoming_name}"
                             + (f" : {remarks}" if remarks else ""),
                     new={"handover": handover.pk, "shift": shift.pk})
    return handover


def handover_countersign(*, handover_id: int, supervisor, remarks: str = "") -> Handover:
    """The supervisor countersigns the shift once the handover is acknowledged."""
    remarks = (remarks or "").strip()
    with transaction.atomic():
        handover = Handover.objects.select_for_update().filter(pk=handover_id).first()
        if handover is None:
            raise HandoverError(_("Relève introuvable."))
        if handover.status == Handover.Status.COUNTERSIGNED:
            raise HandoverError(_("Cette relève est déjà contresignée."))
        if handover.status != Handover.Status.ACKNOWLEDGED:
            raise HandoverError(_("La relève doit d'abord être prise en compte par l'opérateur entrant."))
        handover.status = Handover.Status.COUNTERSIGNED
        handover.supervisor = supervisor
        handover.supervisor_name = _name(supervisor)
        handover.supervisor_remarks = remarks
        handover.countersigned_at = db_now()
        handover.save()
        entry_append(action="shift.countersigned", category=Category.SHIFT, actor=supervisor,
                     message=f"Relève de {handover.outgoing_name} à {handover.incoming_name} contresignée par "
                             f"{handover.supervisor_name}" + (f" : {remarks}" if remarks else ""),
                     new={"handover": handover.pk})
    return handover
