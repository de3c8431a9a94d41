"""Synthetic cameras: a scene with a moving figure and a timestamp overlay,
encoded to H.264 with PyAV (libx264 when PyAV's FFmpeg has it, else mpeg4).

Every frame also carries a *pixel clock*: a row of black/white blocks at the
bottom of the image encoding a 44-bit number (the frame index for demo files,
the wall-clock time in milliseconds for live sources). It survives H.264
compression, so tests and bench/video.py read it back from decoded frames (in
Python or from a <video> element in the browser) to prove when a frame was
made: glass-to-glass latency, and that a clip's first frame precedes the alarm.

Files are MPEG-TS: H.264 in Annex B with SPS/PPS repeated before each
keyframe, which is what RTSP cameras send and what WebRTC passthrough needs.
"""

from __future__ import annotations

import fractions
import os
import time
from pathlib import Path

import av
import cv2
import numpy as np

CLOCK_BITS = 44
BLOCK = 12
STEP = 14
CLOCK_X0 = 8


def encoder_name() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def stamp_clock(image: np.ndarray, value: int) -> None:
    """Write ``value`` as CLOCK_BITS blocks along the bottom of a BGR image."""
    h = image.shape[0]
    y0 = h - BLOCK - 6
    image[y0 - 3:y0 + BLOCK + 3, CLOCK_X0 - 3:CLOCK_X0 + STEP * CLOCK_BITS + 1] = (40, 40, 40)
    for i in range(CLOCK_BITS):
        bit = (value >> (CLOCK_BITS - 1 - i)) & 1
        x0 = CLOCK_X0 + i * STEP
        image[y0:y0 + BLOCK, x0:x0 + BLOCK] = (255, 255, 255) if bit else (0, 0, 0)


def read_clock(image: np.ndarray) -> int:
    """The value written by ``stamp_clock`` (image BGR or grey, same size)."""
    h = image.shape[0]
    y = h - BLOCK - 6 + BLOCK // 2
    value = 0
    for i in range(CLOCK_BITS):
        x = CLOCK_X0 + i * STEP + BLOCK // 2
        pixel = image[y - 2:y + 3, x - 2:x + 3]
        value = (value << 1) | int(pixel.mean() > 128)
    return value


def render(width: int, height: int, t: float, label: str, clock: int, stamp: str) -> np.ndarray:
    """One frame of the scene at time ``t`` seconds (BGR)."""
    image = np.full((height, width, 3), (58, 62, 66), np.uint8)
    # A room: floor, a door and a window, so that the figure has something to cross.
    cv2.rectangle(image, (0, int(height * 0.72)), (width, height), (70, 80, 88), -1)
    cv2.rectangle(image, (int(width * 0.08), int(height * 0.25)), (int(width * 0.22), int(height * 0.72)),
                  (40, 60, 95), -1)
    cv2.rectangle(image, (int(width * 0.6), int(height * 0.18)), (int(width * 0.85), int(height * 0.45)),
                  (150, 130, 90), -1)
    # The moving figure: walks across and back every 12 s.
    phase = (t % 12.0) / 12.0
    x = int(width * (0.1 + 0.8 * (phase * 2 if phase < 0.5 else 2 - phase * 2)))
    base = int(height * 0.78)
    cv2.circle(image, (x, base - 150), 16, (180, 200, 230), -1)
    cv2.rectangle(image, (x - 18, base - 132), (x + 18, base - 60), (60, 60, 200), -1)
    swing = int(14 * np.sin(t * 6))
    cv2.line(image, (x - 8, base - 60), (x - 8 + swing, base), (30, 30, 30), 8)
    cv2.line(image, (x + 8, base - 60), (x + 8 - swing, base), (30, 30, 30), 8)
    # The timestamp overlay, as a camera burns it in.
    cv2.rectangle(image, (0, 0), (width, 30), (0, 0, 0), -1)
    cv2.putText(image, f"{label}  {stamp}", (8, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1,
                cv2.LINE_AA)
    stamp_clock(image, clock)
    return image


def _encoder_stream(container, fps: int, width: int, height: int, *, live: bool):
    name = encoder_name()
    stream = container.add_stream(name, rate=fps)
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.codec_context.time_base = fractions.Fraction(1, fps)
    stream.codec_context.gop_size = fps  # a keyframe every second: quick first frame for new viewers
    if name == "libx264":
        stream.codec_context.profile = "Baseline"  # what WebRTC H.264 (42e01f) promises to decode
        options = {"preset": "veryfast" if not live else "ultrafast", "bf": "0", "g": str(fps),
                   "keyint_min": str(fps), "sc_threshold": "0"}
        if live:
            options["tune"] = "zerolatency"
        stream.codec_context.options = options
        stream.bit_rate = 600_000
    else:
        stream.bit_rate = 1_500_000
    return stream


def write_demo_file(path: Path, *, label: str, seconds: int = 24, fps: int = 10, width: int = 640,
                    height: int = 480) -> Path:
    """A looping demo camera: ``seconds`` of scene, the frame index as pixel clock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with av.open(str(tmp), "w", format="mpegts") as container:
        stream = _encoder_stream(container, fps, width, height, live=False)
        for index in range(seconds * fps):
            t = index / fps
            stamp = time.strftime("%H:%M:%S", time.gmtime(t)) + f".{index % fps}"
            frame = av.VideoFrame.from_ndarray(render(width, height, t, label, index, f"t+{stamp}"),
                                               format="bgr24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)
    return path


def run_live_source(path: str, *, seconds: float, fps: int = 10, width: int = 640, height: int = 480,
                    label: str = "LIVE", stop=None) -> int:
    """Write a live MPEG-TS stream (e.g. into a FIFO) in real time for
    ``seconds``; each frame's pixel clock is the wall time (ms) it was made.
    Returns the number of frames written."""
    count = 0
    start = time.time()
    with av.open(path, "w", format="mpegts", options={"flush_packets": "1"}) as container:
        stream = _encoder_stream(container, fps, width, height, live=True)
        while time.time() - start < seconds and not (stop and stop.is_set()):
            target = start + count / fps
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            now = time.time()
            stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 10) % 10}"
            image = render(width, height, now - start, label, int(now * 1000), stamp)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = count
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
    return count


if __name__ == "__main__":  # python -m video.synthetic FIFO SECONDS: a live camera for tests and benches
    import sys

    run_live_source(sys.argv[1], seconds=float(sys.argv[2]), label=sys.argv[3] if len(sys.argv) > 3 else "LIVE")
