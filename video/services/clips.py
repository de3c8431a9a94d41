"""Clips and snapshots: their rows, legal hold and retention."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from logbook.models import Category
from logbook.services import entry_append
from video.models import Camera, Clip, Snapshot

logger = logging.getLogger(__name__)


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def clip_start(*, camera_id: int, alarm_id: int | None, trigger_at: dt.datetime,
               reason: str = Clip.Reason.ALARM) -> Clip | None:
    """The row of a clip about to be written; None when this camera already
    has one for this alarm (the feed is re-read with an overlap)."""
    try:
        with transaction.atomic():
            return Clip.objects.create(camera_id=camera_id, alarm_id=alarm_id, trigger_at=trigger_at,
                                       reason=reason)
    except IntegrityError:
        return None


def clip_finish(*, clip_id: int, file: str, started: float, ended: float, size: int,
                snapshots: list[tuple[float, str]]) -> Clip:
    with transaction.atomic():
        clip = Clip.objects.select_for_update(of=("self",)).select_related("camera__site__customer", "alarm").get(pk=clip_id)
        clip.file = file
        clip.started_at = dt.datetime.fromtimestamp(started, dt.UTC)
        clip.ended_at = dt.datetime.fromtimestamp(ended, dt.UTC)
        clip.size = size
        clip.state = Clip.State.READY
        clip.save(update_fields=["file", "started_at", "ended_at", "size", "state"])
        Snapshot.objects.bulk_create([
            Snapshot(camera_id=clip.camera_id, clip=clip, alarm_id=clip.alarm_id,
                     taken_at=dt.datetime.fromtimestamp(wall, dt.UTC), file=path) for wall, path in snapshots
        ])
        camera = clip.camera
        entry_append(action="video.clip_recorded", category=Category.VIDEO, actor_name="video",
                     site=camera.site, customer=camera.site.customer, alarm=clip.alarm,
                     message=f"Clip vidéo enregistré : {camera.name}, {clip.duration or 0:.0f} s, "
                             f"{len(snapshots)} image(s)",
                     new={"clip": clip.pk, "camera": camera.pk, "file": file, "size": size})
    return clip


def clip_fail(*, clip_id: int, error: str) -> None:
    with transaction.atomic():
        clip = Clip.objects.select_for_update(of=("self",)).select_related("camera__site__customer", "alarm").get(pk=clip_id)
        if clip.state != Clip.State.RECORDING:
            return
        clip.state = Clip.State.FAILED
        clip.error = error[:300]
        clip.save(update_fields=["state", "error"])
        entry_append(action="video.clip_failed", category=Category.VIDEO, actor_name="video",
                     site=clip.camera.site, customer=clip.camera.site.customer, alarm=clip.alarm,
                     message=f"Clip vidéo non enregistré : {clip.camera.name} ({clip.error})",
                     new={"clip": clip.pk, "camera": clip.camera_id})


def clips_abandon_interrupted(*, older_than: dt.datetime) -> int:
    """Clips left 'recording' by a service that stopped: their buffer is gone."""
    ids = list(Clip.objects.filter(state=Clip.State.RECORDING, created_at__lt=older_than)
               .values_list("pk", flat=True))
    for clip_id in ids:
        clip_fail(clip_id=clip_id, error="service vidéo interrompu pendant l'enregistrement")
    return len(ids)


def clip_legal_hold_set(*, user, clip_id: int, hold: bool, reason: str = "") -> Clip:
    reason = (reason or "").strip()
    if hold and not reason:
        raise ValueError("a legal hold needs a reason")
    with transaction.atomic():
        clip = Clip.objects.select_for_update(of=("self",)).select_related("camera__site__customer", "alarm").get(pk=clip_id)
        old = {"legal_hold": clip.legal_hold, "reason": clip.legal_hold_reason}
        clip.legal_hold = hold
        clip.legal_hold_reason = reason if hold else ""
        clip.save(update_fields=["legal_hold", "legal_hold_reason"])
        entry_append(action="video.legal_hold" if hold else "video.legal_hold_released",
                     category=Category.VIDEO, actor=user, site=clip.camera.site,
                     customer=clip.camera.site.customer, alarm=clip.alarm,
                     message=(f"Conservation légale du clip {clip.pk} ({clip.camera.name}) : {reason}" if hold
                              else f"Fin de conservation légale du clip {clip.pk} ({clip.camera.name})"),
                     old=old, new={"legal_hold": hold, "reason": clip.legal_hold_reason})
    return clip


def clips_purge(*, now=None, retention_days: int | None = None) -> int:
    """Delete clips (rows, snapshots and files) older than the retention
    period, except those under legal hold. Files go after the commit."""
    now = now or timezone.now()
    days = settings.VIDEO_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        clips = list(Clip.objects.select_for_update(skip_locked=True)
                     .filter(trigger_at__lt=cutoff, legal_hold=False)
                     .exclude(state=Clip.State.RECORDING)[:500])
        if not clips:
            return 0
        files = [c.file for c in clips if c.file]
        files += list(Snapshot.objects.filter(clip__in=clips).values_list("file", flat=True))
        count = len(clips)
        Clip.objects.filter(pk__in=[c.pk for c in clips]).delete()
        entry_append(action="video.retention_purge", category=Category.VIDEO, actor_name="video",
                     message=f"Purge de {count} clip(s) vidéo de plus de {days} jours (durée de conservation)",
                     new={"clips": [c.pk for c in clips], "cutoff": cutoff.isoformat()})

        def remove_files():
            for relative in files:
                try:
                    media_path(relative).unlink(missing_ok=True)
                except OSError:
                    logger.warning("could not delete %s", relative, exc_info=True)

        transaction.on_commit(remove_files)
    return count


def camera_label(camera: Camera) -> str:
    return f"{camera.name} — {camera.site.name}"
