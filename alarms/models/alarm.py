"""Alarms and their timeline.

``AlarmEvent`` rows are the feed: every state change of an alarm writes one
in the same transaction, with a growing id. The console's push only carries
that id (the channel layer is a doorbell); browsers read the rows themselves.
Ids come from a sequence, so they are allocated before commit: a reader can
see id N+1 before N commits. Readers therefore re-read a short overlap window
and de-duplicate by id (see alarms/selectors.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """The categories of ../shared/event_codes.csv (PROTOCOLS.md §8)."""

    ALARM = "alarm", _("Intrusion / alarme")
    FIRE = "fire", _("Incendie")
    PANIC = "panic", _("Agression / panique")
    MEDICAL = "medical", _("Médical")
    TROUBLE = "trouble", _("Défaut technique")
    TAMPER = "tamper", _("Autoprotection")
    OPENCLOSE = "openclose", _("Mise en / hors service")
    TEST = "test", _("Test")
    RESTORE = "restore", _("Rétablissement")
    SUPERVISION = "supervision", _("Supervision")
    OTHER = "other", _("Autre")


class Source(models.TextChoices):
    DC09 = "dc09", _("Transmetteur DC-09")
    API = "api", _("API")
    VIDEO = "video", _("Vidéo")
    MANUAL = "manual", _("Saisie opérateur")
    SYSTEM = "system", _("Système")


class Qualification(models.TextChoices):
    REAL_INTRUSION = "real_intrusion", _("Intrusion réelle")
    FIRE = "fire", _("Incendie réel")
    REAL_OTHER = "real_other", _("Événement réel (autre)")
    TECHNICAL = "technical", _("Défaut technique")
    USER_ERROR = "user_error", _("Erreur d'utilisateur")
    FALSE_ALARM = "false_alarm", _("Fausse alarme")
    UNKNOWN = "unknown", _("Cause inconnue")


class Alarm(models.Model):
    class Kind(models.TextChoices):
        EVENT = "event", _("Alarme")
        UNKNOWN_TRANSMITTER = "unknown_transmitter", _("Transmetteur inconnu")
        RUNAWAY = "runaway", _("Transmetteur emballé")
        SECURITY = "security", _("Sécurité transmission")
        LINE_FAULT = "line_fault", _("Défaut de transmission")
        TEST_MISSING = "test_missing", _("Test cyclique manquant")
        SCHEDULE = "schedule", _("Horaires")
        CAMERA = "camera", _("Caméra")
        SYSTEM = "system", _("Système")
        MANUAL = "manual", _("Alarme manuelle")

    class State(models.TextChoices):
        OPEN = "open", _("Nouvelle")
        TAKEN = "taken", _("En traitement")
        HOLD = "hold", _("En attente")
        CLOSED = "closed", _("Clôturée")

    ACTIVE_STATES = (State.OPEN, State.TAKEN, State.HOLD)

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="alarms")
    customer = models.ForeignKey("sites.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="alarms")
    zone = models.ForeignKey("sites.Zone", on_delete=models.SET_NULL, null=True, blank=True)
    transmitter = models.ForeignKey("sites.Transmitter", on_delete=models.SET_NULL, null=True, blank=True)
    account = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.DC09)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EVENT)
    category = models.CharField(_("catégorie"), max_length=12, choices=Category.choices, db_index=True)
    priority = models.PositiveSmallIntegerField(_("priorité"), db_index=True)
    code = models.CharField(max_length=8, blank=True)
    title = models.CharField(_("libellé"), max_length=200)
    description = models.TextField(blank=True)
    state = models.CharField(_("état"), max_length=8, choices=State.choices, default=State.OPEN,
                             db_index=True)
    created_at = models.DateTimeField(_("créée le"), db_default=Now(), db_index=True)
    first_signal_at = models.DateTimeField(null=True, blank=True)
    last_signal_at = models.DateTimeField(null=True, blank=True)
    signal_count = models.PositiveIntegerField(default=1)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="alarms_taken")
    taken_at = models.DateTimeField(null=True, blank=True)
    first_taken_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    hold_until = models.DateTimeField(null=True, blank=True, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalation_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    restore_pending = models.BooleanField(default=False)
    restored_at = models.DateTimeField(null=True, blank=True)
    qualification = models.CharField(_("qualification"), max_length=16, choices=Qualification.choices,
                                     blank=True)
    closure_code = models.CharField(_("code de clôture"), max_length=32, blank=True)
    closure_note = models.TextField(_("commentaire de clôture"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="alarms_closed")
    # Deadline: check that the site is back to normal some time after closing.
    normal_check_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("alarme")
        verbose_name_plural = _("alarmes")
        ordering = ["priority", "created_at"]
        indexes = [
            models.Index(fields=["priority", "created_at"], name="alarm_queue_idx",
                         condition=models.Q(state__in=["open", "taken", "hold"])),
            models.Index(fields=["site", "-created_at"], name="alarm_site_idx"),
        ]

    def __str__(self):
        return f"A{self.pk} {self.title}"

    @property
    def logbook_site(self):
        return self.site

    @property
    def logbook_customer(self):
        return self.customer

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class AlarmEvent(models.Model):
    """The feed: one row per state change, read by consoles and timers by id."""

    created_at = models.DateTimeField(db_default=Now())
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    # Copied from the alarm so that feeds filter by customer without a join.
    site_id_copy = models.BigIntegerField(null=True, blank=True, db_column="site_id")
    customer_id_copy = models.BigIntegerField(null=True, blank=True, db_column="customer_id", db_index=True)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["alarm", "id"], name="alarmevent_alarm_idx")]

    def __str__(self):
        return f"{self.pk} {self.kind} A{self.alarm_id}"
