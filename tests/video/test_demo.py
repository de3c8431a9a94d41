"""The demo cameras: synthetic H.264 files generated with PyAV at set-up."""

from __future__ import annotations

from pathlib import Path

import av

from tests.builders import make_site, make_zone
from video import demo as video_demo
from video.models import Camera, VideoPatrol
from video.synthetic import read_clock


def test_demo_cameras_are_generated_once_and_linked(db, media_root, monkeypatch):
    monkeypatch.setattr(video_demo, "SECONDS", 3)
    for code in ("S001", "S005", "S010"):  # the demo sites that get cameras (sites/demo.py)
        site = make_site(code=code)
        for number in ("1", "2", "3", "17"):
            make_zone(site, number)
    video_demo.seed(log=lambda msg: None)
    cameras = list(Camera.objects.select_related("site"))
    assert len(cameras) == len(video_demo.CAMERAS)
    for camera in cameras:
        assert Path(camera.url).is_relative_to(media_root / "demo-cameras")
        assert camera.zones.exists()
    with av.open(cameras[0].url) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 640, 480)
        frames = [f for _, f in zip(range(12), container.decode(stream), strict=False)]
    assert [read_clock(f.to_ndarray(format="bgr24")) for f in frames[:3]] == [0, 1, 2]
    mtimes = {c.pk: Path(c.url).stat().st_mtime for c in cameras}
    video_demo.seed(log=lambda msg: None)  # idempotent: same rows, files kept
    assert Camera.objects.count() == len(cameras)
    assert {c.pk: Path(c.url).stat().st_mtime for c in Camera.objects.all()} == mtimes
    assert VideoPatrol.objects.get().cameras.count() == 2
