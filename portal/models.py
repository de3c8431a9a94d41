"""Portal and security rows: integration tokens for the REST API, staff
presence (to tell an operator what changed since the last shift) and logbook
retention checkpoints."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    SITES_READ = "sites:read", _("Lire les sites")
    ALARMS_READ = "alarms:read", _("Lire les alarmes")
    EVENTS_READ = "events:read", _("Lire les événements")
    EVENTS_WRITE = "events:write", _("Transmettre des événements")
    LOGBOOK_READ = "logbook:read", _("Lire la main courante")


def hash_secret(secret: str) -> str:
    # Tokens are 32 random bytes: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class IntegrationToken(models.Model):
    """One token per integration. Only its hash is stored; the clear token is
    shown once, at creation. A token bound to a customer sees that customer's
    data only; a centre token (no customer) sees everything its scopes allow."""

    name = models.CharField(_("nom de l'intégration"), max_length=120)
    customer = models.ForeignKey("sites.Customer", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="integration_tokens", verbose_name=_("client"))
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), verbose_name=_("droits"))
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    rate_per_minute = models.PositiveIntegerField(_("requêtes par minute"), default=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'intégration")
        verbose_name_plural = _("jetons d'intégration")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def logbook_customer(self):
        return self.customer

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class StaffPresence(models.Model):
    """When a member of staff was last active, and when their previous shift
    ended (a gap longer than ARC_SHIFT_GAP_HOURS starts a new shift)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="presence")
    last_seen_at = models.DateTimeField()
    shift_started_at = models.DateTimeField()
    previous_shift_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ("view",)


class LogbookCheckpoint(models.Model):
    """A prefix of the logbook archived to a file and removed from PostgreSQL
    (retention). verify_logbook starts from the newest checkpoint: the first
    remaining entry must link to ``last_hash``."""

    created_at = models.DateTimeField(auto_now_add=True)
    last_id = models.BigIntegerField(unique=True)
    last_hash = models.CharField(max_length=64)
    # Entries archived by this checkpoint and all earlier ones.
    count = models.BigIntegerField()
    archive_path = models.CharField(max_length=500)
    archive_sha256 = models.CharField(max_length=64)
    created_by_name = models.CharField(max_length=150)

    class Meta:
        ordering = ["-last_id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"≤ {self.last_id} ({self.count} entries) {self.last_hash[:12]}"
