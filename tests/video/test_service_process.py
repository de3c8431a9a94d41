"""The real video service: MJPEG fallback against Django's token, motion
detection turned into a video signal through intake, health published."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from alarms.models import Alarm, Signal
from tests.video.conftest import service_health, wait_for
from video.models import Camera, CameraHealth, Clip
from video.services.viewing import mjpeg_token_mint

pytestmark = [pytest.mark.slow]


def test_mjpeg_fallback_motion_and_health(video_service, arc_process, demo_file, site_a, operator, operator2):
    camera = Camera.objects.create(site=site_a, name="Réserve", source_kind="file", url=str(demo_file),
                                   motion_enabled=True, motion_min_area=0.5, motion_cooldown_seconds=600,
                                   pre_seconds=3, post_seconds=2)
    process, base = video_service()
    wait_for(lambda: service_health(base)["cameras"].get(str(camera.pk), {}).get("online"), 15,
             what="the camera to be read")

    # MJPEG: a good token streams JPEG parts; a token for another user's camera or a forged one does not.
    token = mjpeg_token_mint(user=operator, camera=camera)
    with urllib.request.urlopen(f"{base}/mjpeg/{camera.pk}?token={token}", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        data = b""
        while data.count(b"\xff\xd8") < 3:
            data += response.read1(65536)
    assert b"Content-Type: image/jpeg" in data
    for bad in (token[:-2] + "xx", mjpeg_token_mint(user=operator2, camera=camera) + "0"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{base}/mjpeg/{camera.pk}?token={bad}", timeout=5)
        assert error.value.code == 403
    other = Camera.objects.create(site=site_a, name="Autre", source_kind="file", url=str(demo_file))
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{base}/mjpeg/{other.pk}?token={token}", timeout=5)
    assert error.value.code == 403

    # Motion: the demo figure walks; after the background is learnt, one video signal.
    signal = wait_for(lambda: Signal.objects.filter(site=site_a, transport="video").first(), 30,
                      what="a motion signal")
    assert signal.peer == f"camera:{camera.pk}"
    assert signal.events.get().category == "alarm"

    # Intake turns it into a video alarm; the camera that saw the motion records its clip.
    arc_process("run_intake")
    alarm = wait_for(lambda: Alarm.objects.filter(site=site_a, source="video").first(), 20, what="the video alarm")
    clip = wait_for(lambda: Clip.objects.filter(alarm=alarm, state__in=["ready", "failed"]).first(), 20,
                    what="the motion clip")
    assert clip.state == "ready" and clip.camera_id == camera.pk, clip.error
    assert clip.snapshots.count() >= 3

    health = wait_for(lambda: CameraHealth.objects.filter(pk=camera.pk, state="online", fps__gt=5).first(), 10,
                      what="health with fps")
    assert health.passthrough and health.codec == "h264"
