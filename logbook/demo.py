"""Demo data of the logbook: the centre's equipment checks and the report
targets (idempotent: rows found by their codes)."""

from __future__ import annotations

import datetime as dt

from logbook.models import CheckDefinition, ReportTargets

D, W = CheckDefinition.Frequency.DAILY, CheckDefinition.Frequency.WEEKLY
E = CheckDefinition.Equipment

CHECKS = [
    ("rx-primary", "Récepteur principal : trame de test reçue et horodatage à l'heure", E.RECEIVER, D, dt.time(8, 0),
     0, "Envoyer une trame de test depuis le transmetteur du centre ; vérifier sa réception dans le journal des "
        "signaux et l'écart d'horloge (moins de 20 s)."),
    ("rx-backup", "Récepteur de secours : écoute et acquittement", E.RECEIVER, D, dt.time(8, 0), 0,
     "Basculer le transmetteur de test sur l'adresse de secours ; vérifier l'acquittement (ACK)."),
    ("lines", "Lignes téléphoniques et liens IP opérateurs", E.LINES, D, dt.time(9, 0), 0,
     "Appel sortant sur chaque ligne ; ping des deux liens IP ; noter toute coupure."),
    ("ups", "Onduleur : état des batteries et autonomie affichée", E.POWER, D, dt.time(9, 0), 0,
     "Lire l'autonomie sur la console de l'onduleur ; alarme si moins de 30 minutes."),
    ("generator", "Groupe électrogène : essai à vide", E.POWER, W, dt.time(10, 0), 0,
     "Essai de démarrage de 15 minutes ; niveau de carburant ; reporter les heures de fonctionnement."),
    ("backup-centre", "Liaison avec le centre de secours : réplication et bascule", E.BACKUP, W, dt.time(11, 0), 2,
     "Vérifier le retard de réplication PostgreSQL et un appel de test vers le centre de secours."),
]


def seed(log=print) -> None:
    for order, (code, label, equipment, frequency, due_time, weekday, instructions) in enumerate(CHECKS, 1):
        CheckDefinition.objects.update_or_create(code=code, defaults={
            "label": label, "equipment": equipment, "frequency": frequency, "due_time": due_time,
            "due_weekday": weekday, "instructions": instructions, "order": order, "active": True})
    ReportTargets.objects.get_or_create(pk=1)
    log(f"logbook: {len(CHECKS)} equipment checks, report targets")
