"""Demo cameras: synthetic H.264 files generated with PyAV at set-up (a scene
with a moving figure and a timestamp overlay), played in a loop as live
sources by the video service. Idempotent."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from sites.models import Site, Zone
from video.models import Camera, VideoPatrol
from video.synthetic import encoder_name, write_demo_file

SECONDS = 24  # length of each looping demo file

# site code, camera name, linked zone numbers, motion detection
CAMERAS = [
    ("S001", "Entrée boutique", ["1", "2"], False),
    ("S001", "Réserve", ["3", "17"], True),
    ("S005", "Officine", ["1", "2"], False),
    ("S010", "Jardin", ["1"], False),
]


def seed(log) -> None:
    directory = Path(settings.MEDIA_ROOT) / "demo-cameras"
    cameras = []
    for index, (code, name, zones, motion) in enumerate(CAMERAS, start=1):
        site = Site.objects.filter(code=code).first()
        if site is None:
            continue
        path = directory / f"demo-{index}.ts"
        if not path.exists():
            write_demo_file(path, label=f"{site.name} / {name}", seconds=SECONDS)
        camera, _ = Camera.objects.update_or_create(
            site=site, name=name,
            defaults={"source_kind": Camera.SourceKind.FILE, "url": str(path), "enabled": True,
                      "motion_enabled": motion, "motion_min_area": 0.8, "motion_cooldown_seconds": 300,
                      "lost_alarm": Camera.LostAlarm.ARMED},
        )
        camera.zones.set(Zone.objects.filter(site=site, number__in=zones))
        cameras.append(camera)
    if cameras:
        patrol, _ = VideoPatrol.objects.update_or_create(
            name="Ronde de nuit — boulangeries", defaults={"times": ["22:00", "02:00", "05:00"], "window_minutes": 20})
        patrol.cameras.set([c for c in cameras if c.site.code == "S001"])
    log(f"video: {len(cameras)} demo cameras ({encoder_name()}), files in {directory}")
