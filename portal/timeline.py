"""What a client reads of an alarm's feed rows: the centre's actions in plain
words ("alarm received 02:13:05 → video checked → guard dispatched, ETA 9 min
→ guard on site → all clear").

Some rows stay inside the centre: operators' comments and reassignments,
escalations (the centre's own lateness alarms) and above all a duress call
(*code de contrainte*): whoever holds the client's phone may be the person
coercing them, so the portal must never show that the centre knows.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

INTERNAL_KINDS = {"comment", "reassigned", "released", "escalated", "duress", "phone_call", "note",
                  "storm.on", "storm.off"}


def _labels() -> dict[str, str]:
    return {
        "created": _("Alarme reçue par le centre"),
        "signal": _("Nouveau signal du site"),
        "restore": _("Rétablissement reçu du site"),
        "taken": _("Un opérateur traite l'alarme"),
        "acknowledged": _("Alarme prise en compte"),
        "hold": _("En attente d'un rappel"),
        "hold_returned": _("Reprise du traitement"),
        "step": _("Consigne appliquée"),
        "evidence": _("Levée de doute effectuée"),
        "call": _("Appel passé"),
        "callout": _("Appel de la liste d'appel"),
        "callout_ack": _("Un contact a pris l'appel en charge"),
        "client_notified": _("Client prévenu"),
        "public_call": _("Appel des services publics"),
        "intervention": _("Intervention"),
        "intervention_report": _("Rapport d'intervention remis"),
        "qualified": _("Alarme qualifiée"),
        "closed": _("Alarme clôturée"),
    }


def _intervention_states() -> dict[str, str]:
    return {
        "requested": _("agent d'intervention demandé"),
        "accepted": _("agent d'intervention envoyé"),
        "en_route": _("agent en route"),
        "on_site": _("agent sur place"),
        "reported": _("rapport remis"),
        "closed": _("intervention terminée"),
        "cancelled": _("intervention annulée"),
    }


def _callout_states() -> dict[str, str]:
    return {
        "started": _("début des appels"),
        "next_contact": _("contact suivant"),
        "exhausted": _("aucun contact joint"),
        "cancelled": _("appels arrêtés"),
    }


def _public_services() -> dict[str, str]:
    return {"police": _("police / gendarmerie (17)"), "fire": _("pompiers (18)"), "samu": _("SAMU (15)"),
            "112": "112"}


def visible(event) -> bool:
    return event.kind not in INTERNAL_KINDS


def _eta_minutes(data: dict, at: dt.datetime | None) -> int | None:
    if data.get("eta_minutes") is not None:
        return int(data["eta_minutes"])
    eta = parse_datetime(str(data["eta"])) if data.get("eta") else None
    if eta is None or at is None:
        return None
    return max(0, round((eta - at).total_seconds() / 60))


def _detail(kind: str, data: dict, at) -> str:
    if data.get("public_text"):
        return str(data["public_text"])
    parts = []
    if kind == "intervention" and data.get("state"):
        parts.append(_intervention_states().get(data["state"], ""))
    if kind == "callout" and data.get("state"):
        parts.append(_callout_states().get(data["state"], ""))
    if kind == "public_call" and data.get("service"):
        parts.append(_public_services().get(str(data["service"]), ""))
    minutes = _eta_minutes(data, at) if kind in ("intervention", "intervention_dispatched") else None
    if minutes is not None and data.get("state", "requested") in ("requested", "accepted", "en_route"):
        parts.append(_("arrivée estimée dans %(n)s min") % {"n": minutes})
    if kind in ("closed", "qualified") and data.get("qualification"):
        from alarms.models import Qualification

        try:
            parts.append(str(Qualification(data["qualification"]).label))
        except ValueError:
            pass
    return ", ".join(p for p in parts if p)


def describe(event) -> dict:
    """One timeline line for a client: id, time, label and a short detail."""
    data = event.data or {}
    labels = _labels()
    if event.kind in labels:
        label = labels[event.kind]
    elif event.kind.startswith("intervention"):
        label = labels["intervention"]
    else:
        label = _("Action du centre")
    at = timezone.localtime(event.created_at) if event.created_at else None
    return {"id": event.pk, "alarm": event.alarm_id, "kind": event.kind, "label": label,
            "detail": _detail(event.kind, data, event.created_at),
            "at": at.strftime("%d/%m %H:%M:%S") if at else "", "iso": at.isoformat() if at else ""}
