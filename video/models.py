"""Cameras, their health, clips and snapshots, what operators watched, video
patrols (rondes vidéo) and the video service's feed cursor."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sites import crypto
from sites.models import OnSite


def validate_polygons(value) -> None:
    """Masks are a list of polygons in frame-relative coordinates (0..1):
    ``[[[x, y], [x, y], [x, y], …], …]``; a rectangle is a 4-point polygon."""
    if not isinstance(value, list):
        raise ValidationError(_("Une liste de polygones est attendue."))
    for polygon in value:
        if not isinstance(polygon, list) or len(polygon) < 3:
            raise ValidationError(_("Chaque polygone doit avoir au moins 3 points."))
        for point in polygon:
            if (not isinstance(point, list | tuple) or len(point) != 2
                    or not all(isinstance(c, int | float) and 0 <= c <= 1 for c in point)):
                raise ValidationError(_("Chaque point est [x, y] avec x et y entre 0 et 1."))


def validate_weekdays(value: str) -> None:
    if any(c not in "0123456" for c in value):
        raise ValidationError(_("Jours de 0 (lundi) à 6 (dimanche), par exemple 01234."))


def in_hours(start: dt.time | None, end: dt.time | None, weekdays: str, local: dt.datetime) -> bool:
    """Whether ``local`` falls in a daily window (which may cross midnight)."""
    if weekdays and str(local.weekday()) not in weekdays:
        return False
    if start is None or end is None or start == end:
        return True
    now = local.time()
    return start <= now < end if start < end else (now >= start or now < end)


class Camera(OnSite, models.Model):
    class SourceKind(models.TextChoices):
        RTSP = "rtsp", _("Flux RTSP")
        MJPEG = "mjpeg", _("Flux HTTP MJPEG")
        SNAPSHOT = "snapshot", _("Image HTTP (instantané)")
        FILE = "file", _("Fichier local (démo, essais)")

    class ClipScope(models.TextChoices):
        ZONES = "zones", _("Zones liées seulement")
        SITE = "site", _("Toute zone du site")
        NONE = "none", _("Jamais")

    class LostAlarm(models.TextChoices):
        ARMED = "armed", _("Quand le site est en service (armé)")
        ALWAYS = "always", _("Toujours (pendant les heures actives)")
        NEVER = "never", _("Jamais")

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="cameras",
                             verbose_name=_("site"))
    name = models.CharField(_("nom"), max_length=120)
    zones = models.ManyToManyField("sites.Zone", blank=True, related_name="cameras",
                                   verbose_name=_("zones liées"))
    source_kind = models.CharField(_("type de source"), max_length=10, choices=SourceKind.choices)
    url = models.CharField(_("adresse du flux"), max_length=500,
                           help_text=_("rtsp://…, http://…, ou un chemin de fichier pour les démos"))
    username = models.CharField(_("identifiant"), max_length=120, blank=True)
    password_encrypted = models.TextField(editable=False, blank=True)
    enabled = models.BooleanField(_("active"), default=True)
    # Enabled hours: outside them the camera is not read (nothing recorded).
    hours_start = models.TimeField(_("début des heures actives"), null=True, blank=True)
    hours_end = models.TimeField(_("fin des heures actives"), null=True, blank=True)
    weekdays = models.CharField(_("jours actifs"), max_length=7, default="0123456",
                                validators=[validate_weekdays])
    privacy_masks = models.JSONField(_("masques de confidentialité"), default=list, blank=True,
                                     validators=[validate_polygons])
    clip_scope = models.CharField(_("enregistrer un clip pour"), max_length=6, choices=ClipScope.choices,
                                  default=ClipScope.ZONES)
    pre_seconds = models.PositiveSmallIntegerField(_("pré-alarme (s)"), default=10)
    post_seconds = models.PositiveSmallIntegerField(_("post-alarme (s)"), default=20)
    motion_enabled = models.BooleanField(_("détection de mouvement"), default=False)
    motion_min_area = models.FloatField(_("surface minimale (% de l'image)"), default=1.0)
    motion_sensitivity = models.PositiveSmallIntegerField(
        _("seuil de sensibilité"), default=25, help_text=_("Seuil MOG2 : plus bas = plus sensible"))
    motion_masks = models.JSONField(_("zones ignorées par la détection"), default=list, blank=True,
                                    validators=[validate_polygons])
    motion_hours_start = models.TimeField(_("détection à partir de"), null=True, blank=True)
    motion_hours_end = models.TimeField(_("détection jusqu'à"), null=True, blank=True)
    motion_cooldown_seconds = models.PositiveIntegerField(_("délai entre deux alarmes (s)"), default=60)
    motion_zone = models.ForeignKey("sites.Zone", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("zone signalée par la détection"))
    lost_alarm = models.CharField(_("alarme perte vidéo"), max_length=6, choices=LostAlarm.choices,
                                  default=LostAlarm.ARMED)
    lost_after_seconds = models.PositiveIntegerField(_("perte vidéo après (s)"), default=30)
    snapshot_interval = models.FloatField(_("période de rafraîchissement (s)"), default=1.0,
                                          help_text=_("Sources « image HTTP » seulement"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("caméra")
        verbose_name_plural = _("caméras")
        ordering = ["site", "name"]

    def __str__(self):
        return f"{self.name} ({self.site.name})"


    def set_password(self, password: str) -> None:
        self.password_encrypted = crypto.encrypt(password)

    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    def active_at(self, moment=None) -> bool:
        local = (moment or timezone.now()).astimezone(self.site.tz)
        return self.enabled and in_hours(self.hours_start, self.hours_end, self.weekdays, local)

    def motion_active_at(self, moment=None) -> bool:
        local = (moment or timezone.now()).astimezone(self.site.tz)
        return self.motion_enabled and in_hours(self.motion_hours_start, self.motion_hours_end, "", local)

    def clean(self):
        if self.pre_seconds > 60 or self.post_seconds > 120:
            raise ValidationError(_("Pré-alarme 60 s et post-alarme 120 s au plus."))


class CameraHealth(models.Model):
    """Written by the video service every few seconds; read by the wall and health."""

    class State(models.TextChoices):
        ONLINE = "online", _("En ligne")
        OFFLINE = "offline", _("Hors ligne")
        INACTIVE = "inactive", _("Hors heures actives")
        UNKNOWN = "unknown", _("Inconnu")

    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, primary_key=True, related_name="health")
    state = models.CharField(max_length=8, choices=State.choices, default=State.UNKNOWN)
    fps = models.FloatField(default=0)
    codec = models.CharField(max_length=16, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    passthrough = models.BooleanField(default=False)
    viewers = models.PositiveIntegerField(default=0)
    last_frame_at = models.DateTimeField(null=True, blank=True)
    offline_since = models.DateTimeField(null=True, blank=True)
    lost_signalled = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    service = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("état de caméra")
        verbose_name_plural = _("états des caméras")

    def stale(self, now=None) -> bool:
        return (now or timezone.now()) - self.updated_at > dt.timedelta(seconds=30)


class Clip(models.Model):
    class Reason(models.TextChoices):
        ALARM = "alarm", _("Alarme")
        MOTION = "motion", _("Mouvement")

    class State(models.TextChoices):
        RECORDING = "recording", _("En cours")
        READY = "ready", _("Disponible")
        FAILED = "failed", _("Échec")

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="clips")
    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="video_clips")
    reason = models.CharField(max_length=8, choices=Reason.choices, default=Reason.ALARM)
    trigger_at = models.DateTimeField(_("déclenchement"))
    started_at = models.DateTimeField(_("début"), null=True, blank=True)
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    file = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT
    size = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECORDING)
    error = models.CharField(max_length=300, blank=True)
    legal_hold = models.BooleanField(_("conservation légale"), default=False)
    legal_hold_reason = models.CharField(_("motif de conservation"), max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now(), db_index=True)

    class Meta:
        verbose_name = _("clip vidéo")
        verbose_name_plural = _("clips vidéo")
        ordering = ["-trigger_at"]
        constraints = [
            # One clip per camera and alarm, however often the feed is re-read.
            models.UniqueConstraint(fields=["camera", "alarm"], name="clip_unique_camera_alarm",
                                    condition=models.Q(alarm__isnull=False)),
        ]

    def __str__(self):
        return f"{self.camera.name} {self.trigger_at:%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None


class Snapshot(models.Model):
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="snapshots")
    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, null=True, blank=True, related_name="snapshots")
    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="video_snapshots")
    taken_at = models.DateTimeField()
    file = models.CharField(max_length=300)

    class Meta:
        ordering = ["taken_at"]


class ViewLog(models.Model):
    """What somebody watched: live (WebRTC / MJPEG), a clip or a snapshot.
    With an alarm, it is the levée de doute evidence of that alarm."""

    class Kind(models.TextChoices):
        LIVE = "live", _("Direct (WebRTC)")
        MJPEG = "mjpeg", _("Direct (MJPEG)")
        CLIP = "clip", _("Clip")
        PATROL = "patrol", _("Ronde vidéo")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="views")
    clip = models.ForeignKey(Clip, on_delete=models.SET_NULL, null=True, blank=True)
    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="video_views")
    session = models.CharField(max_length=64, blank=True, db_index=True)
    started_at = models.DateTimeField(db_default=Now(), db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]


class VideoPatrol(models.Model):
    """A scheduled tour: at each time, an operator looks at the cameras and records the result."""

    name = models.CharField(_("nom"), max_length=120)
    cameras = models.ManyToManyField(Camera, related_name="patrols", verbose_name=_("caméras"))
    times = models.JSONField(_("heures de passage"), default=list,
                             help_text=_('Heures locales, par exemple ["22:00", "02:00"]'))
    weekdays = models.CharField(_("jours"), max_length=7, default="0123456", validators=[validate_weekdays])
    window_minutes = models.PositiveIntegerField(_("délai pour effectuer la ronde (min)"), default=15)
    time_zone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ronde vidéo")
        verbose_name_plural = _("rondes vidéo")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if not isinstance(self.times, list):
            raise ValidationError({"times": _("Une liste d'heures HH:MM est attendue.")})
        for value in self.times:
            try:
                dt.time.fromisoformat(str(value))
            except ValueError:
                raise ValidationError({"times": _("Heure invalide : %(v)s") % {"v": value}})


class PatrolRound(models.Model):
    class State(models.TextChoices):
        DUE = "due", _("À faire")
        DONE = "done", _("Effectuée")
        MISSED = "missed", _("Manquée")

    class Result(models.TextChoices):
        OK = "ok", _("RAS")
        ANOMALY = "anomaly", _("Anomalie constatée")
        INCOMPLETE = "incomplete", _("Caméra(s) indisponible(s)")

    patrol = models.ForeignKey(VideoPatrol, on_delete=models.CASCADE, related_name="rounds")
    due_at = models.DateTimeField(db_index=True)
    # Deadline column: a round still due after it is flagged missed (claimed by a conditional UPDATE).
    deadline_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=6, choices=State.choices, default=State.DUE, db_index=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    notes = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["patrol", "due_at"], name="round_unique_due")]

    def __str__(self):
        return f"{self.patrol.name} {self.due_at:%Y-%m-%d %H:%M}"


class FeedCursor(models.Model):
    """How far the video service has read the alarm feed (AlarmEvent ids)."""

    name = models.CharField(max_length=64, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
