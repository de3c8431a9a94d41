"""The camera reader on its own: masks burnt in (so re-encoded once), MJPEG
and snapshot sources turned into one H.264 stream, reconnect after loss."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time

import av
import cv2
import numpy as np
import pytest

from video.service.reader import CameraConfig, CameraReader
from video.synthetic import render


def _run_reader(config: CameraConfig, seconds: float) -> CameraReader:
    async def scenario():
        reader = CameraReader(config, asyncio.get_running_loop())
        reader.start()
        await asyncio.sleep(seconds)
        reader.stop()
        await asyncio.to_thread(reader.join, 5)
        return reader

    return asyncio.run(scenario())


def _decode(packets) -> list[np.ndarray]:
    codec = av.CodecContext.create("h264", "r")
    images = []
    for packet in packets:
        for frame in codec.decode(av.Packet(packet.data)):
            images.append(frame.to_ndarray(format="bgr24"))
    return images


def test_privacy_mask_is_burnt_in_and_the_stream_re_encoded_once(demo_file):
    mask = [[[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]]  # right half of the image
    reader = _run_reader(CameraConfig(id=1, name="m", kind="file", url=str(demo_file), masks=mask), 2.5)
    assert reader.passthrough is False and reader.codec == "h264"
    packets = list(reader.buffer)
    assert packets[0].key and len(packets) >= 15
    images = _decode(packets)
    assert images, "the re-encoded stream decodes"
    right = images[-1][40:440, 340:]
    left = images[-1][40:440, :300]
    assert right.mean() < 8 and left.mean() > 40


class _MjpegHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        image = render(320, 240, time.time() % 12, "MJPEG", 0, "")
        ok, jpeg = cv2.imencode(".jpg", image)
        if self.path == "/snapshot.jpg":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(jpeg.tobytes())
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        try:
            for i in range(100):
                image = render(320, 240, i / 10, "MJPEG", i, "")
                data = cv2.imencode(".jpg", image)[1].tobytes()
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(data)
                                 + data + b"\r\n")
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def http_camera():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MjpegHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("kind, path", [("mjpeg", "/stream"), ("snapshot", "/snapshot.jpg")])
def test_http_sources_become_one_h264_stream(http_camera, kind, path):
    config = CameraConfig(id=2, name=kind, kind=kind, url=http_camera + path, snapshot_interval=0.2)
    reader = _run_reader(config, 3.0)
    assert reader.error == "" and reader.passthrough is False
    packets = list(reader.buffer)
    assert len(packets) >= 8 and any(p.key for p in packets)
    images = _decode(packets[next(i for i, p in enumerate(packets) if p.key):])
    assert images and images[0].shape == (240, 320, 3)
    assert all(b.dts > a.dts for a, b in zip(packets, packets[1:], strict=False))


def test_an_unreachable_camera_reports_its_error_and_keeps_retrying():
    config = CameraConfig(id=3, name="x", kind="rtsp", url="rtsp://127.0.0.1:9/none")
    reader = _run_reader(config, 2.0)
    assert not reader.online and reader.error
