"""What a client reads of an alarm's feed rows: the centre's actions in plain
words ("alarm received 02:13:05 → video checked → guard dispatched, ETA 9 min
→ guard on site → all clear"), never operators' internal comments."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

# Feed kinds that stay inside the centre.
INTERNAL_KINDS = {"comment", "reassigned", "released", "taken_forced", "note"}


def _labels() -> dict[str, str]:
    return {
        "created": _("Alarme reçue par le centre"),
        "signal": _("Nouveau signal du site"),
        "restore": _("Rétablissement reçu du site"),
        "taken": _("Un opérateur traite l'alarme"),
        "acknowledged": _("Alarme prise en compte"),
        "hold": _("En attente d'un rappel"),
        "hold_returned": _("Reprise du traitement"),
        "escalated": _("Escalade"),
        "video_checked": _("Levée de doute vidéo effectuée"),
        "video": _("Levée de doute vidéo"),
        "call": _("Appel passé"),
        "callout": _("Appel de la liste d'appel"),
        "callout_attempt": _("Appel de la liste d'appel"),
        "public_service_call": _("Appel des services publics"),
        "intervention": _("Intervention"),
        "intervention_dispatched": _("Agent d'intervention envoyé"),
        "intervention_on_site": _("Agent sur place"),
        "intervention_done": _("Intervention terminée"),
        "qualified": _("Alarme qualifiée"),
        "closed": _("Alarme clôturée"),
    }


def visible(event) -> bool:
    return event.kind not in INTERNAL_KINDS


def describe(event) -> dict:
    """One timeline line for a client: id, time, label and a short detail."""
    data = event.data or {}
    label = _labels().get(event.kind, event.kind.replace("_", " ").capitalize())
    detail = data.get("public_text") or ""
    if not detail:
        if data.get("eta_minutes") is not None:
            detail = _("arrivée estimée dans %(n)s min") % {"n": data["eta_minutes"]}
        elif event.kind == "escalated" and data.get("label"):
            detail = str(data["label"])
        elif event.kind == "closed" and data.get("qualification_label"):
            detail = str(data["qualification_label"])
    at = timezone.localtime(event.created_at) if event.created_at else None
    return {"id": event.pk, "alarm": event.alarm_id, "kind": event.kind, "label": label, "detail": detail,
            "at": at.strftime("%d/%m %H:%M:%S") if at else "", "iso": at.isoformat() if at else ""}
