"""Reads of the video service process (cameras to read, in its shard)."""

from __future__ import annotations

from django.utils import timezone

from video.models import Camera, CameraHealth
from video.service.reader import CameraConfig


def _in_shard(camera_id: int, shard: tuple[int, int]) -> bool:
    return camera_id % shard[1] == shard[0]


def camera_ids_in_shard(*, shard: tuple[int, int]) -> list[int]:
    return [i for i in Camera.objects.filter(enabled=True).values_list("pk", flat=True) if _in_shard(i, shard)]


def active_camera_configs(*, shard: tuple[int, int]) -> list[CameraConfig]:
    now = timezone.now()
    configs = []
    for camera in Camera.objects.filter(enabled=True).select_related("site"):
        if not _in_shard(camera.pk, shard) or not camera.active_at(now):
            continue
        motion = None
        if camera.motion_enabled:
            motion = {"min_area": camera.motion_min_area, "sensitivity": camera.motion_sensitivity,
                      "cooldown": float(camera.motion_cooldown_seconds), "exclude": camera.motion_masks,
                      "hours": (camera.motion_hours_start.isoformat() if camera.motion_hours_start else None,
                                camera.motion_hours_end.isoformat() if camera.motion_hours_end else None,
                                camera.site.timezone)}
        try:
            password = camera.password()
        except ValueError:
            password = ""
        configs.append(CameraConfig(id=camera.pk, name=camera.name, kind=camera.source_kind, url=camera.url,
                                    username=camera.username, password=password, masks=camera.privacy_masks,
                                    motion=motion, pre_seconds=camera.pre_seconds,
                                    snapshot_interval=camera.snapshot_interval))
    return configs


def lost_signalled_among(camera_ids: list[int]) -> list[int]:
    return list(CameraHealth.objects.filter(pk__in=camera_ids, lost_signalled=True).values_list("pk", flat=True))
