"""The escalation ladder a new centre starts with (editable in the admin).

Counted from the moment the alarm entered the queue. Life safety first: a
fire or hold-up (P1) not taken in 30 s re-alerts every operator, at 60 s the
supervisor (chef de salle); intrusion (P3) at 60 s / 120 s; troubles at 5 min.
The last rung repeats until somebody takes the alarm.
"""

# priority, level, after_seconds, audience, colour, repeat_seconds, label
DEFAULT_RUNGS = [
    (1, 1, 30, "operators", "red", None, "Non prise en charge depuis 30 s : réalerte de tous les opérateurs"),
    (1, 2, 60, "supervisors", "flash", None, "Non prise en charge depuis 1 min : chef de salle alerté"),
    (1, 3, 120, "supervisors", "flash", 60, "Non prise en charge depuis 2 min : alerte maximale"),
    (2, 1, 45, "operators", "red", None, "Non prise en charge depuis 45 s : réalerte de tous les opérateurs"),
    (2, 2, 90, "supervisors", "flash", 60, "Non prise en charge depuis 1 min 30 : chef de salle alerté"),
    (3, 1, 60, "operators", "amber", None, "Non prise en charge depuis 1 min : réalerte des opérateurs"),
    (3, 2, 120, "supervisors", "red", 120, "Non prise en charge depuis 2 min : chef de salle alerté"),
    (4, 1, 120, "operators", "amber", None, "Non prise en charge depuis 2 min : réalerte des opérateurs"),
    (4, 2, 300, "supervisors", "red", 300, "Non prise en charge depuis 5 min : chef de salle alerté"),
    (5, 1, 300, "operators", "amber", None, "Défaut non pris en charge depuis 5 min"),
    (5, 2, 900, "supervisors", "red", 900, "Défaut non pris en charge depuis 15 min : chef de salle alerté"),
    (6, 1, 300, "operators", "amber", None, "Défaut non pris en charge depuis 5 min"),
    (6, 2, 900, "supervisors", "red", 900, "Défaut non pris en charge depuis 15 min : chef de salle alerté"),
    (7, 1, 600, "operators", "amber", None, "Non prise en charge depuis 10 min"),
    (7, 2, 1800, "supervisors", "red", 1800, "Non prise en charge depuis 30 min : chef de salle alerté"),
    (8, 1, 900, "operators", "amber", 1800, "Non prise en charge depuis 15 min"),
    (9, 1, 1800, "operators", "amber", 3600, "Non prise en charge depuis 30 min"),
]
