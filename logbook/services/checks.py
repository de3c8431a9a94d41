"""Equipment checks of the centre: an operator ticks one, with remarks."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from logbook.models import Category, CheckDefinition, CheckRecord
from logbook.services import entry_append
from logbook.services.shifts import db_now


class CheckError(ValueError):
    pass


def check_record(*, definition_id: int, operator, result: str, remarks: str = "") -> CheckRecord:
    remarks = (remarks or "").strip()
    if result not in CheckRecord.Result.values:
        raise CheckError(_("Résultat inconnu."))
    if result == CheckRecord.Result.ANOMALY and not remarks:
        raise CheckError(_("Décrivez l'anomalie constatée."))
    definition = CheckDefinition.objects.filter(pk=definition_id, active=True).first()
    if definition is None:
        raise CheckError(_("Vérification inconnue ou désactivée."))
    with transaction.atomic():
        record = CheckRecord.objects.create(
            definition=definition, done_at=db_now(), operator=operator,
            operator_name=(operator.get_full_name() or operator.get_username())[:150],
            result=result, remarks=remarks,
        )
        verdict = "conforme" if result == CheckRecord.Result.OK else "ANOMALIE"
        entry_append(
            action="check.done" if result == CheckRecord.Result.OK else "check.anomaly",
            category=Category.CHECK, actor=operator,
            message=f"Vérification « {definition.label} » : {verdict}" + (f" — {remarks}" if remarks else ""),
            new={"check": definition.code, "result": result, "record": record.pk},
        )
    return record
