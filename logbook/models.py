"""The logbook (*main courante*): append-only and hash-chained.

The logbook imports nothing of ours: references to customers, sites, alarms
and interventions are kept as ids plus a text rendering, so an entry still
reads right after the referenced row is renamed or pseudonymised, and no
foreign key can ever ask PostgreSQL to UPDATE an entry (ON DELETE SET NULL
would).
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    # Manual entries, the main courante proper.
    CALL = "call", _("Appel client")
    ADVICE = "advice", _("Conseil donné")
    VISITOR = "visitor", _("Visiteur")
    KEYS = "keys", _("Mouvement de clés")
    CHECK = "check", _("Vérification d'équipement")
    INCIDENT = "incident", _("Incident hors alarme")
    NOTE = "note", _("Note")
    CORRECTION = "correction", _("Correction")
    # Written by services.
    ALARM = "alarm", _("Alarme")
    SIGNAL = "signal", _("Signal")
    DISPATCH = "dispatch", _("Intervention / appel")
    VIDEO = "video", _("Vidéo")
    CONFIG = "config", _("Configuration")
    SHIFT = "shift", _("Relève")
    SECURITY = "security", _("Sécurité")
    SYSTEM = "system", _("Système")


MANUAL_CATEGORIES = [
    Category.CALL, Category.ADVICE, Category.VISITOR, Category.KEYS,
    Category.CHECK, Category.INCIDENT, Category.NOTE,
]


class ActorKind(models.TextChoices):
    USER = "user", _("Utilisateur")
    SYSTEM = "system", _("Système")
    CLIENT = "client", _("Client")
    EXTERNAL = "external", _("Externe")


class LogEntry(models.Model):
    """One line of the main courante. Never updated, never deleted (triggers)."""

    created_at = models.DateTimeField(_("horodatage"), db_index=True)  # database clock, set by the service
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    # actor_id, action and category are indexed by the composite indexes below
    # (each extra index is maintained under the chain head lock on every append).
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("auteur"), max_length=150)
    action = models.CharField(_("action"), max_length=64)
    category = models.CharField(_("catégorie"), max_length=16, choices=Category.choices)
    customer_id = models.BigIntegerField(null=True, blank=True)
    customer_label = models.CharField(max_length=200, blank=True)
    site_id = models.BigIntegerField(null=True, blank=True)
    site_label = models.CharField(max_length=250, blank=True)
    alarm_id = models.BigIntegerField(null=True, blank=True)
    alarm_label = models.CharField(max_length=250, blank=True)
    intervention_id = models.BigIntegerField(null=True, blank=True)
    intervention_label = models.CharField(max_length=250, blank=True)
    message = models.TextField(_("message"))
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    correlation_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    corrects_id = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    search = models.GeneratedField(
        expression=SearchVector("message", "site_label", "customer_label", "alarm_label", "actor_name",
                                config="french"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("entrée de main courante")
        verbose_name_plural = _("main courante")
        ordering = ["-id"]
        indexes = [
            GinIndex(fields=["search"], name="logbook_search_gin"),
            models.Index(fields=["site_id", "-id"], name="logbook_site_idx"),
            models.Index(fields=["customer_id", "-id"], name="logbook_customer_idx"),
            models.Index(fields=["alarm_id", "id"], name="logbook_alarm_idx"),
            models.Index(fields=["actor_id", "-id"], name="logbook_actor_idx"),
            models.Index(fields=["category", "-id"], name="logbook_category_idx"),
            # Response-time reports read alarm.created / alarm.taken / alarm.closed by period.
            models.Index(fields=["action", "created_at"], name="logbook_action_time_idx"),
            # Pages show each entry's corrections: a tiny partial index (few entries are corrections).
            models.Index(fields=["corrects_id"], name="logbook_corrects_idx",
                         condition=models.Q(corrects_id__isnull=False)),
        ]
        default_permissions = ("view", "add")

    @property
    def is_manual(self) -> bool:
        return self.action in ("manual", "correction")

    def __str__(self):
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name}: {self.message[:60]}"


class ChainHead(models.Model):
    """One row: the hash and id of the last entry. Locked FOR UPDATE by every
    append, so concurrent writers are serialised and the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()


# Shift handover, equipment checks, exports and report targets live in their
# own modules; importing them here registers them with the app.
from logbook.models_ops import (  # noqa: E402,F401
    CheckDefinition,
    CheckRecord,
    ExportJob,
    Handover,
    ReportTargets,
    Shift,
)
