"""Camera health, video loss and motion: what the video service reports.

Video loss during armed hours and motion both become signals through the one
intake entry (``alarms.services.intake.signal_submit``), so storm rules, test
mode and out-of-service apply to cameras as they do to panels.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from logbook.models import Category
from logbook.services import entry_append
from sites.models import Site
from video.models import Camera, CameraHealth

logger = logging.getLogger(__name__)

LOSS_PRIORITY = 3
MOTION_PRIORITY = 2


def _submit(**kwargs):
    # Imported late: intake is another team's module and the video service
    # must keep running (and say so) while it is missing or failing.
    from alarms.services.intake import signal_submit

    return signal_submit(**kwargs)


def health_publish(*, reports: list[dict], service: str, now=None) -> list[int]:
    """Store each camera's health; log transitions. Returns the ids of cameras
    offline long enough to need a video-loss alarm (not yet signalled)."""
    now = now or timezone.now()
    due: list[int] = []
    cameras = {c.pk: c for c in Camera.objects.filter(pk__in=[r["camera"] for r in reports])
               .select_related("site", "site__customer")}
    with transaction.atomic():
        existing = {h.camera_id: h for h in CameraHealth.objects.select_for_update()
                    .filter(camera_id__in=list(cameras))}
        entries = []
        for report in reports:
            camera = cameras.get(report["camera"])
            if camera is None:
                continue
            health = existing.get(camera.pk) or CameraHealth(camera=camera)
            previous = health.state if health.pk else CameraHealth.State.UNKNOWN
            state = report["state"]
            health.state = state
            health.fps = report.get("fps", 0)
            health.codec = report.get("codec", "")[:16]
            health.width = report.get("width", 0)
            health.height = report.get("height", 0)
            health.passthrough = report.get("passthrough", False)
            health.viewers = report.get("viewers", 0)
            health.error = report.get("error", "")[:300]
            health.service = service[:100]
            if report.get("last_frame_at"):
                health.last_frame_at = dt.datetime.fromtimestamp(report["last_frame_at"], dt.UTC)
            if state == CameraHealth.State.OFFLINE:
                health.offline_since = health.offline_since or now
            else:
                health.offline_since = None
            health.updated_at = now
            health.save()
            if previous != state and {previous, state} == {CameraHealth.State.ONLINE, CameraHealth.State.OFFLINE}:
                lost = state == CameraHealth.State.OFFLINE
                entries.append(dict(
                    action="video.camera_lost" if lost else "video.camera_back", category=Category.VIDEO,
                    actor_name="video", site=camera.site, customer=camera.site.customer,
                    message=(f"Caméra « {camera.name} » : perte du flux vidéo ({health.error or 'sans image'})"
                             if lost else f"Caméra « {camera.name} » : flux vidéo rétabli"),
                    new={"camera": camera.pk, "state": state}))
            if (state == CameraHealth.State.OFFLINE and not health.lost_signalled
                    and now - health.offline_since >= dt.timedelta(seconds=camera.lost_after_seconds)
                    and _loss_alarm_applies(camera, now)):
                due.append(camera.pk)
        for entry in entries:
            entry_append(**entry)
    return due


def _loss_alarm_applies(camera: Camera, now) -> bool:
    if camera.lost_alarm == Camera.LostAlarm.NEVER or not camera.active_at(now):
        return False
    if camera.lost_alarm == Camera.LostAlarm.ALWAYS:
        return True
    return camera.site.armed_state in (Site.Armed.ARMED, Site.Armed.PARTIAL)


def camera_loss_signal(*, camera_id: int, restore: bool = False) -> bool:
    """Video loss (or its restore) as a technical signal of the camera's site."""
    with transaction.atomic():
        health = CameraHealth.objects.select_for_update().select_related("camera__site").get(pk=camera_id)
        if health.lost_signalled == (not restore):
            return False  # already done: several services or a retry
        camera = health.camera
        health.lost_signalled = not restore
        health.save(update_fields=["lost_signalled"])
        zone = camera.motion_zone.number if camera.motion_zone_id else ""
        _submit(source="video", site=camera.site, peer=f"camera:{camera.pk}", receiver="video",
                text=f"Perte vidéo : {camera.name}" if not restore else f"Vidéo rétablie : {camera.name}",
                events=[{"protocol": "ARC", "category": "trouble", "priority": LOSS_PRIORITY,
                         "qualifier": "restore" if restore else "new", "zone": zone, "area": "", "user": "",
                         "text": f"Perte vidéo caméra « {camera.name} »"}])
    return True


def motion_signal(*, camera_id: int, at: dt.datetime, snapshot: bytes = b"") -> None:
    """Motion detected by a camera: a video alarm through intake, with its snapshot."""
    camera = Camera.objects.select_related("site", "motion_zone").get(pk=camera_id)
    with transaction.atomic():
        _submit(source="video", site=camera.site, peer=f"camera:{camera.pk}", receiver="video",
                snapshot=snapshot or None,
                text=f"Détection de mouvement : {camera.name}",
                events=[{"protocol": "ARC", "category": "alarm", "priority": MOTION_PRIORITY, "qualifier": "new",
                         "zone": camera.motion_zone.number if camera.motion_zone_id else "", "area": "",
                         "user": "", "text": f"Mouvement détecté par la caméra « {camera.name} » à "
                                            f"{timezone.localtime(at):%H:%M:%S}"}])
