"""Site faults (battery, mains, communication, tamper) and intake settings.

A ``Fault`` is opened by a trouble signal and closed by its restore; it is
what the console and the portal show as "défaut en cours" on a site, and
what stops a flapping trouble from raising a new operator alarm each time.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Fault(models.Model):
    class Kind(models.TextChoices):
        BATTERY = "battery", _("Batterie")
        MAINS = "mains", _("Secteur")
        COMMUNICATION = "communication", _("Transmission")
        TAMPER = "tamper", _("Autoprotection")
        OTHER = "other", _("Autre défaut")

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="faults")
    transmitter = models.ForeignKey("sites.Transmitter", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="faults")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    zone = models.CharField(_("zone"), max_length=8, blank=True)
    code = models.CharField(_("code"), max_length=8, blank=True)
    opened_at = models.DateTimeField(_("ouvert le"), db_default=Now())
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    last_signal_at = models.DateTimeField(null=True, blank=True)
    signal_count = models.PositiveIntegerField(default=1)
    # When an operator alarm was raised for it (null: none yet, e.g. storm).
    notified_at = models.DateTimeField(null=True, blank=True)
    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("défaut")
        verbose_name_plural = _("défauts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "zone"], condition=models.Q(closed_at__isnull=True),
                                    name="fault_one_open_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.site_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CategoryIntakeSetting(models.Model):
    """Per category: wait this long for a restore before an operator sees the alarm
    (e.g. mains failure: a 2-minute cut restores by itself)."""

    category = models.CharField(_("catégorie"), max_length=12, unique=True)
    restore_delay_seconds = models.PositiveIntegerField(_("délai d'attente du rétablissement (s)"), default=0)

    class Meta:
        verbose_name = _("réglage de réception par catégorie")
        verbose_name_plural = _("réglages de réception par catégorie")

    def __str__(self):
        return f"{self.category}: {self.restore_delay_seconds}s"


class IntakeSource(models.Model):
    """A non-panel source posting to POST /api/v1/events, with its own token."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=8, editable=False)
    customer = models.ForeignKey("sites.Customer", on_delete=models.CASCADE, null=True, blank=True,
                                 help_text=_("Vide : tous les clients"))
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("source d'événements (API)")
        verbose_name_plural = _("sources d'événements (API)")

    def __str__(self):
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def set_token(self, token: str) -> None:
        self.token_hash = self.hash_token(token)
        self.token_prefix = token[:8]


class TransmitterBucket(models.Model):
    """The runaway token bucket of one transmitter (Transmitter.signals_per_minute)."""

    transmitter = models.OneToOneField("sites.Transmitter", on_delete=models.CASCADE, primary_key=True,
                                       related_name="+")
    tokens = models.FloatField()
    updated_at = models.DateTimeField()
    runaway_since = models.DateTimeField(null=True, blank=True)
    suppressed = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
