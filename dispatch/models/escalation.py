"""The escalation ladder and the timer system's own bookkeeping.

The ladder is data (one row per rung, editable in the admin): a centre tunes
how fast an untaken alarm climbs without a deploy. Rungs count seconds from
the moment the alarm entered the queue (created, or returned to it).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EscalationRung(models.Model):
    class Audience(models.TextChoices):
        OPERATORS = "operators", _("Tous les opérateurs")
        SUPERVISORS = "supervisors", _("Opérateurs et chef de salle")

    class Colour(models.TextChoices):
        AMBER = "amber", _("Orange")
        RED = "red", _("Rouge")
        FLASH = "flash", _("Rouge clignotant")

    priority = models.PositiveSmallIntegerField(_("priorité"), help_text=_("1 (la plus haute) à 9"))
    category = models.CharField(_("catégorie"), max_length=12, blank=True,
                                help_text=_("Vide : toutes les catégories de cette priorité"))
    level = models.PositiveSmallIntegerField(_("niveau"))
    after_seconds = models.PositiveIntegerField(_("après (s) sans prise en charge"))
    label = models.CharField(_("libellé"), max_length=150)
    audience = models.CharField(_("alerter"), max_length=12, choices=Audience.choices,
                                default=Audience.OPERATORS)
    colour = models.CharField(_("couleur"), max_length=8, choices=Colour.choices, default=Colour.AMBER)
    # On the last rung: re-alert every N seconds while nobody takes the alarm.
    repeat_seconds = models.PositiveIntegerField(_("répéter toutes les (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("palier d'escalade")
        verbose_name_plural = _("paliers d'escalade")
        ordering = ["priority", "category", "level"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "category", "level"], name="rung_unique_level"),
        ]

    def __str__(self):
        scope = f"P{self.priority}" + (f"/{self.category}" if self.category else "")
        return f"{scope} N{self.level} +{self.after_seconds}s {self.label}"


class TimerState(models.Model):
    """One row per named piece of timer bookkeeping: the tick's last run (read by
    the watchdog in another process), the feed cursor, the last stale alarm."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField(null=True, blank=True)
    value = models.BigIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.name}={self.value} @ {self.at}"


class TimerFailure(models.Model):
    """A deadline whose handler raised: pushed back with backoff, never crash-looped."""

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    first_failed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("échéance en erreur")
        verbose_name_plural = _("échéances en erreur")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="timerfailure_unique")]

    def __str__(self):
        return f"{self.kind}#{self.object_id} ×{self.failures}"
