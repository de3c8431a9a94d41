"""Who watched what, when: every view of live or recorded video is logged in
the logbook; with an alarm, it is the levée de doute evidence of that alarm."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from logbook.models import Category
from logbook.services import entry_append
from video.models import Camera, Clip, ViewLog

TOKEN_SALT = "video.mjpeg"


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username())[:150]


def _alarm_or_none(alarm_id):
    if not alarm_id:
        return None
    from alarms.models import Alarm

    return Alarm.objects.filter(pk=alarm_id).first()


def view_start(*, user, camera: Camera, kind: str, session: str = "", alarm_id: int | None = None,
               clip: Clip | None = None) -> ViewLog:
    alarm = _alarm_or_none(alarm_id) if clip is None else clip.alarm
    if alarm is not None and alarm.site_id != camera.site_id:
        alarm = None  # a view is evidence only for an alarm of the same site
    with transaction.atomic():
        view = ViewLog.objects.create(user=user, user_name=_user_name(user), kind=kind, camera=camera,
                                      clip=clip, alarm=alarm, session=session[:64])
        what = {
            ViewLog.Kind.LIVE: "visionnage en direct",
            ViewLog.Kind.MJPEG: "visionnage en direct (MJPEG)",
            ViewLog.Kind.CLIP: f"visionnage du clip {clip.pk if clip else ''}",
            ViewLog.Kind.PATROL: "ronde vidéo",
        }[kind]
        entry_append(action="video.viewed", category=Category.VIDEO, actor=user, site=camera.site,
                     customer=camera.site.customer, alarm=alarm,
                     message=f"{what} — caméra « {camera.name} »"
                             + (" (levée de doute)" if alarm is not None else ""),
                     new={"view": view.pk, "kind": kind, "camera": camera.pk,
                          "clip": clip.pk if clip else None, "session": session[:64]})
        if alarm is not None and alarm.is_active:
            _evidence(alarm, user, f"{what} — caméra « {camera.name} » à {timezone.localtime():%H:%M:%S}")
    return view


def _evidence(alarm, user, text: str) -> None:
    """The alarm's own levée de doute record (CONSOLE's service), when the
    viewer is the operator handling it; otherwise the ViewLog and the logbook
    entry above are the record."""
    from alarms.services.handling import alarm_evidence_add
    from alarms.services.lifecycle import AlarmError

    try:
        with transaction.atomic():
            alarm_evidence_add(alarm_id=alarm.pk, operator=user, kind="video_seen", text=text)
    except AlarmError:
        pass


def view_end(*, session: str) -> int:
    """Close the open views of a live session (hang-up or peer gone)."""
    if not session:
        return 0
    return ViewLog.objects.filter(session=session[:64], ended_at__isnull=True).update(ended_at=timezone.now())


def mjpeg_token_mint(*, user, camera: Camera, alarm_id: int | None = None) -> str:
    """A short-lived token the video service accepts for this user and camera."""
    view = view_start(user=user, camera=camera, kind=ViewLog.Kind.MJPEG, alarm_id=alarm_id,
                      session=f"mjpeg-{get_random_string(16)}")
    return signing.dumps({"u": user.pk, "c": camera.pk, "v": view.pk}, salt=TOKEN_SALT, compress=True)


def mjpeg_token_check(token: str, camera_id: int) -> dict | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=settings.VIDEO_TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != camera_id:
        return None
    return data
