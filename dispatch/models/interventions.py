"""Interventions: a guard company sent to a site for an alarm.

The guard works from a signed link (no account): accepts, sets off, arrives,
writes the report with photos. ``eta_at`` is a deadline: not on site by then
escalates the alarm.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from sites.models import OnSite


class Intervention(OnSite, models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", _("Demandée")
        ACCEPTED = "accepted", _("Acceptée")
        EN_ROUTE = "en_route", _("En route")
        ON_SITE = "on_site", _("Sur place")
        REPORTED = "reported", _("Rapport remis")
        CLOSED = "closed", _("Clôturée")
        CANCELLED = "cancelled", _("Annulée")

    RUNNING = (State.REQUESTED, State.ACCEPTED, State.EN_ROUTE, State.ON_SITE, State.REPORTED)
    # The order a guard moves through; each step only forward.
    FLOW = [State.REQUESTED, State.ACCEPTED, State.EN_ROUTE, State.ON_SITE, State.REPORTED, State.CLOSED]

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.PROTECT, related_name="interventions")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="interventions")
    provider = models.ForeignKey("sites.InterventionProvider", on_delete=models.PROTECT,
                                 related_name="interventions", verbose_name=_("société d'intervention"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.REQUESTED,
                             db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    instructions = models.TextField(_("consignes à l'agent"), blank=True)
    requested_at = models.DateTimeField(db_default=Now())
    accepted_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_site_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Deadline: the guard must be on site by then.
    eta_at = models.DateTimeField(_("arrivée promise"), db_index=True)
    eta_overrun_at = models.DateTimeField(null=True, blank=True)
    guard_name = models.CharField(_("agent"), max_length=120, blank=True)
    report = models.TextField(_("rapport"), blank=True)
    link_nonce = models.CharField(max_length=16)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-id"]

    def __str__(self):
        return f"I{self.pk} {self.provider} → {self.site}"

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING


def photo_path(instance, filename):
    return f"interventions/{instance.intervention_id}/{filename}"


class InterventionPhoto(models.Model):
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path)
    uploaded_at = models.DateTimeField(db_default=Now())
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("photo d'intervention")
        verbose_name_plural = _("photos d'intervention")
        ordering = ["id"]
