"""The centre's own routine around the logbook: shifts and their handover,
equipment checks, export jobs and the targets of the response-time reports.

Each step of these is also written to the logbook by its service; these rows
hold the state (who still has to acknowledge, which check is overdue, how far
an export has got), the logbook holds the proof.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Shift(models.Model):
    """One operator's time on duty, from taking the post to handing it over."""

    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logbook_shifts",
                                 verbose_name=_("opérateur"))
    operator_name = models.CharField(_("opérateur"), max_length=150)
    started_at = models.DateTimeField(_("prise de poste"))
    ended_at = models.DateTimeField(_("fin de poste"), null=True, blank=True)

    class Meta:
        verbose_name = _("poste")
        verbose_name_plural = _("postes")
        ordering = ["-started_at"]
        constraints = [
            # One open shift per operator: a second "take the post" is refused by PostgreSQL.
            models.UniqueConstraint(fields=["operator"], condition=models.Q(ended_at__isnull=True),
                                    name="logbook_one_open_shift"),
        ]

    def __str__(self):
        return f"{self.operator_name} {self.started_at:%d/%m %H:%M}"


class Handover(models.Model):
    """The relève: written by the outgoing operator, acknowledged by the
    incoming one, countersigned by the supervisor."""

    class Status(models.TextChoices):
        WRITTEN = "written", _("À prendre en compte")
        ACKNOWLEDGED = "acknowledged", _("Prise en compte")
        COUNTERSIGNED = "countersigned", _("Contresignée")

    shift = models.OneToOneField(Shift, on_delete=models.PROTECT, related_name="handover", null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WRITTEN, db_index=True)
    outgoing = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outgoing_name = models.CharField(_("opérateur sortant"), max_length=150)
    notes = models.TextField(_("consignes de relève"))
    # What the registry listed when the handover was written (open alarms,
    # running interventions…): [{"title": …, "items": […]}]. A snapshot, so the
    # handover reads the same tomorrow.
    sections = models.JSONField(default=list)
    written_at = models.DateTimeField(_("rédigée le"))
    incoming = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 null=True, blank=True)
    incoming_name = models.CharField(_("opérateur entrant"), max_length=150, blank=True)
    incoming_remarks = models.TextField(_("remarques de l'entrant"), blank=True)
    acknowledged_at = models.DateTimeField(_("prise en compte le"), null=True, blank=True)
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)
    supervisor_name = models.CharField(_("chef de salle"), max_length=150, blank=True)
    supervisor_remarks = models.TextField(_("remarques du chef de salle"), blank=True)
    countersigned_at = models.DateTimeField(_("contresignée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("relève")
        verbose_name_plural = _("relèves")
        ordering = ["-written_at"]

    def __str__(self):
        return f"{self.outgoing_name} {self.written_at:%d/%m %H:%M}"


class CheckDefinition(models.Model):
    """One routine check of the centre's own equipment."""

    class Equipment(models.TextChoices):
        RECEIVER = "receiver", _("Récepteurs")
        LINES = "lines", _("Lignes téléphoniques et IP")
        POWER = "power", _("Alimentation de secours (onduleur, groupe)")
        BACKUP = "backup", _("Liaison avec le centre de secours")
        OTHER = "other", _("Autre")

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Quotidienne")
        WEEKLY = "weekly", _("Hebdomadaire")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    equipment = models.CharField(_("équipement"), max_length=16, choices=Equipment.choices)
    frequency = models.CharField(_("fréquence"), max_length=8, choices=Frequency.choices)
    # Local time of day (and weekday for weekly checks, 0 = Monday) by which
    # the check must have been done in its period; past it, it is overdue.
    due_time = models.TimeField(_("à faire avant"), default=dt.time(9, 0))
    due_weekday = models.PositiveSmallIntegerField(_("jour (hebdomadaire)"), default=0,
                                                   help_text=_("0 = lundi … 6 = dimanche"))
    instructions = models.TextField(_("mode opératoire"), blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("vérification d'équipement")
        verbose_name_plural = _("vérifications d'équipement")
        ordering = ["frequency", "order", "label"]

    def __str__(self):
        return self.label


class CheckRecord(models.Model):
    """An operator ticked a check, with the result and remarks."""

    class Result(models.TextChoices):
        OK = "ok", _("Conforme")
        ANOMALY = "anomaly", _("Anomalie")

    definition = models.ForeignKey(CheckDefinition, on_delete=models.PROTECT, related_name="records")
    done_at = models.DateTimeField(_("effectuée le"), db_index=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator_name = models.CharField(_("opérateur"), max_length=150)
    result = models.CharField(_("résultat"), max_length=8, choices=Result.choices)
    remarks = models.TextField(_("remarques"), blank=True)

    class Meta:
        verbose_name = _("vérification effectuée")
        verbose_name_plural = _("vérifications effectuées")
        ordering = ["-done_at"]
        indexes = [models.Index(fields=["definition", "-done_at"], name="logbook_check_last_idx")]


class ExportJob(models.Model):
    """A CSV or PDF export of a filtered view, built by a worker for large
    ranges; the row carries the progress the page polls."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by_name = models.CharField(max_length=150)
    format = models.CharField(max_length=4, choices=Format.choices)
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    rows_done = models.BigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    head_hash = models.CharField(max_length=64, blank=True)
    verification = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export de main courante")
        verbose_name_plural = _("exports de main courante")
        ordering = ["-created_at"]


class ReportTargets(models.Model):
    """The centre's targets for the response-time dashboard (one row, edited
    in the admin, changes logged)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    share_30s = models.PositiveSmallIntegerField(_("objectif: % prises en 30 s"), default=80)
    share_60s = models.PositiveSmallIntegerField(_("objectif: % prises en 60 s"), default=95)
    share_180s = models.PositiveSmallIntegerField(_("objectif: % prises en 180 s"), default=99)
    handling_minutes = models.PositiveSmallIntegerField(_("objectif: durée de traitement (min)"), default=10)
    false_alarm_threshold = models.PositiveSmallIntegerField(_("seuil de fausses alarmes (%)"), default=50)
    false_alarm_min_alarms = models.PositiveSmallIntegerField(_("nombre minimal d'alarmes par site"), default=3)
    shift_starts = models.CharField(_("heures de relève"), max_length=40, default="6,14,22",
                                    help_text=_("Heures locales de début de poste, séparées par des virgules"))

    class Meta:
        verbose_name = _("objectifs de délais")
        verbose_name_plural = _("objectifs de délais")
        default_permissions = ("view", "change")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> ReportTargets:
        return cls.objects.filter(pk=1).first() or cls()

    def shift_hours(self) -> list[int]:
        hours = []
        for part in self.shift_starts.split(","):
            part = part.strip()
            if part.isdigit() and 0 <= int(part) < 24:
                hours.append(int(part))
        return sorted(set(hours)) or [0]
