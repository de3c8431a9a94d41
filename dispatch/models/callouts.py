"""Call-outs (automated notifications) and every attempt to reach a contact.

DESIGN.md rule 4: an attempt is a row in state ``sending`` committed before
the SMS, call, mail or webhook goes out, then its result. A worker killed
mid-send leaves a ``sending`` row that the tick finds and retries: a contact
may get a message twice, never zero times.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from sites.models import OnSite


def new_ack_code() -> str:
    return f"{secrets.randbelow(900000) + 100000}"


class CallOut(OnSite, models.Model):
    class Reason(models.TextChoices):
        CALL_LIST = "call_list", _("Liste d'appel")
        NOTIFY_CLIENT = "notify_client", _("Prévenir le client")
        FAULT = "fault", _("Défaut non résolu (installateur)")
        GUARD = "guard", _("Demande d'intervention")

    class State(models.TextChoices):
        RUNNING = "running", _("En cours")
        ACKNOWLEDGED = "acknowledged", _("Acquitté")
        EXHAUSTED = "exhausted", _("Sans réponse")
        DONE = "done", _("Terminé")
        CANCELLED = "cancelled", _("Annulé")

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="callouts")
    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="callouts")
    step = models.ForeignKey("sites.ProcedureStep", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    fault_id = models.BigIntegerField(null=True, blank=True, unique=True)
    intervention = models.ForeignKey("dispatch.Intervention", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="callouts")
    reason = models.CharField(_("motif"), max_length=16, choices=Reason.choices)
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.RUNNING,
                             db_index=True)
    message = models.TextField(_("message"))
    ack_code = models.CharField(max_length=6, default=new_ack_code)
    created_at = models.DateTimeField(db_default=Now())
    # Deadline: move on to the next contact (or give up) at this time.
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)  # contacts already called
    contact_ids = models.JSONField(default=list)  # the call list frozen at start
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appel automatique")
        verbose_name_plural = _("appels automatiques")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["alarm", "step"], name="callout_once_per_step",
                                    condition=models.Q(alarm__isnull=False, step__isnull=False)),
        ]

    def __str__(self):
        return f"CO{self.pk} {self.get_reason_display()} A{self.alarm_id}"


class CallOutAttempt(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        VOICE = "voice", _("Appel vocal")
        EMAIL = "email", _("Courriel")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        QUEUED = "queued", _("En file")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")
        CANCELLED = "cancelled", _("Annulé")

    callout = models.ForeignKey(CallOut, on_delete=models.CASCADE, related_name="attempts")
    contact = models.ForeignKey("sites.Contact", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    contact_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    tries = models.PositiveSmallIntegerField(default=0)
    # Deadline: send (or retry) at this time.
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(db_default=Now())
    sending_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("tentative d'appel")
        verbose_name_plural = _("tentatives d'appel")
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.contact_name} ({self.state})"


class WebhookEndpoint(models.Model):
    """A customer's system notified of its alarms by a signed POST (HMAC-SHA256)."""

    customer = models.ForeignKey("sites.Customer", on_delete=models.CASCADE, related_name="webhooks",
                                 verbose_name=_("client"))
    url = models.URLField(_("adresse"))
    secret = models.CharField(_("secret partagé"), max_length=128)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("webhook client")
        verbose_name_plural = _("webhooks clients")

    def __str__(self):
        return self.url
