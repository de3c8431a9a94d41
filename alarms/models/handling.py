"""What an operator does with an alarm: the consignes checklist, call
attempts, public-service calls, levée de doute evidence, comments and
incoming phone calls.

Rows here are written only by alarms/services/handling.py and lifecycle.py,
each together with its logbook entry and a feed row. The actor's name is kept
as text next to the foreign key (the logbook does the same), so an export
still reads right after a user is renamed or disabled.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class AlarmStep(models.Model):
    """One step of the consignes, copied from the site's procedure when the
    alarm is first taken, so a later edit of the procedure never changes what
    an operator was asked to do."""

    class State(models.TextChoices):
        PENDING = "pending", _("À faire")
        DONE = "done", _("Fait")
        SKIPPED = "skipped", _("Non fait (motif)")

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=16)
    kind_label = models.CharField(max_length=120)
    text = models.CharField(max_length=300, blank=True)
    mandatory = models.BooleanField(default=False)
    automatic = models.BooleanField(default=False)
    procedure_name = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    note = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    done_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("étape de consigne")
        verbose_name_plural = _("étapes de consigne")
        ordering = ["alarm", "order", "id"]

    def __str__(self):
        return f"{self.order}. {self.kind_label}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PENDING


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Joint")
    NO_ANSWER = "no_answer", _("Pas de réponse")
    VOICEMAIL = "voicemail", _("Messagerie")
    WRONG_NUMBER = "wrong_number", _("Faux numéro")
    PASSWORD_OK = "password_ok", _("Mot de passe correct")
    WRONG_PASSWORD = "wrong_password", _("Mot de passe erroné")
    DURESS = "duress", _("Mot de passe sous contrainte")


class CallAttempt(models.Model):
    """A call the operator made for this alarm, with its outcome."""

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.CASCADE, related_name="call_attempts")
    contact = models.ForeignKey("sites.Contact", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    name = models.CharField(_("nom"), max_length=150)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    outcome = models.CharField(_("résultat"), max_length=16, choices=CallOutcome.choices)
    note = models.CharField(_("remarque"), max_length=300, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("appel")
        verbose_name_plural = _("appels")
        ordering = ["alarm", "id"]


class PublicService(models.TextChoices):
    POLICE = "police_17", _("Police (17)")
    GENDARMERIE = "gendarmerie_17", _("Gendarmerie (17)")
    FIRE = "fire_18", _("Pompiers (18)")
    SAMU = "samu_15", _("SAMU (15)")
    EMERGENCY = "emergency_112", _("Urgences (112)")


PUBLIC_SERVICE_NUMBERS = {
    PublicService.POLICE: "17", PublicService.GENDARMERIE: "17", PublicService.FIRE: "18",
    PublicService.SAMU: "15", PublicService.EMERGENCY: "112",
}


class PublicServiceCall(models.Model):
    """A request for intervention to police/gendarmerie, fire brigade, SAMU or 112,
    with the reference the service gave."""

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.CASCADE, related_name="public_calls")
    service = models.CharField(_("service"), max_length=16, choices=PublicService.choices)
    reference = models.CharField(_("référence donnée"), max_length=80)
    note = models.CharField(_("remarque"), max_length=300, blank=True)
    # What satisfied the levée de doute gate, frozen at the time of the call.
    verification = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("appel aux services publics")
        verbose_name_plural = _("appels aux services publics")
        ordering = ["alarm", "id"]


class Evidence(models.Model):
    """Levée de doute: what the operator verified before calling the police."""

    class Kind(models.TextChoices):
        VIDEO_SEEN = "video_seen", _("Vidéo visionnée")
        AUDIO = "audio", _("Écoute audio")
        JUSTIFICATION = "justification", _("Justification écrite")
        WITNESS = "witness", _("Témoin sur place")

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("constat"))
    created_at = models.DateTimeField(db_default=Now())
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("élément de levée de doute")
        verbose_name_plural = _("éléments de levée de doute")
        ordering = ["alarm", "id"]


class AlarmComment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Commentaire")
        CLIENT_NOTIFIED = "client_notified", _("Client prévenu")
        PHONE_CALL = "phone_call", _("Appel entrant")
        SYSTEM = "system", _("Système")

    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.CASCADE, related_name="comments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField(_("commentaire"))
    created_at = models.DateTimeField(db_default=Now())
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    author_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["alarm", "id"]


class PhoneCall(models.Model):
    """An incoming phone call taken with the guided form."""

    class Seen(models.TextChoices):
        INTRUSION = "intrusion", _("Intrusion en cours / individus suspects sur place")
        FIRE = "fire", _("Feu ou fumée")
        ASSAULT = "assault", _("Agression / menace")
        MEDICAL = "medical", _("Personne blessée ou malaise")
        DAMAGE = "damage", _("Dégâts constatés (effraction passée, vitre brisée)")
        TECHNICAL = "technical", _("Problème technique (sirène, alarme, transmetteur)")
        INFORMATION = "information", _("Demande d'information / conseil")

    class Outcome(models.TextChoices):
        CREATED = "created", _("Alarme créée")
        UPDATED = "updated", _("Alarme complétée")
        ADVICE = "advice", _("Conseil donné (main courante)")

    caller_name = models.CharField(_("qui appelle"), max_length=150)
    caller_phone = models.CharField(_("numéro de l'appelant"), max_length=32, blank=True)
    caller_role = models.CharField(_("qualité de l'appelant"), max_length=80, blank=True)
    site = models.ForeignKey("sites.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    location = models.CharField(_("où"), max_length=250)
    seen = models.CharField(_("ce que l'appelant constate"), max_length=16, choices=Seen.choices)
    description = models.TextField(_("description"), blank=True)
    danger = models.BooleanField(_("quelqu'un est en danger"), default=False)
    reformulation = models.TextField(_("reformulation lue à l'appelant"))
    read_back = models.BooleanField(_("reformulation confirmée par l'appelant"), default=False)
    priority = models.PositiveSmallIntegerField(_("urgence (priorité)"))
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="phone_calls")
    created_at = models.DateTimeField(db_default=Now())
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("appel entrant")
        verbose_name_plural = _("appels entrants")
        ordering = ["-id"]
