"""One reader per camera, shared by every viewer, clip and detector.

A reader runs in its own thread (PyAV and FFmpeg block) and produces one
stream of H.264 packets for the camera:

- when the camera sends H.264 and has no privacy mask, the camera's own
  packets, passed through untouched (no decode for viewers, no re-encode);
- otherwise (MJPEG, snapshots, other codecs, or privacy masks that must be
  burnt in), frames are decoded, masked and encoded to H.264 ONCE here, so
  that each extra viewer still costs no encoding.

Packets are retimed on one wall-clock based 90 kHz timeline, so that a
reconnect or a demo file looping never makes timestamps jump back (RTP and MP4
both need them to grow). They go to a ring buffer (pre-alarm clips) and to
the subscribers' queues (WebRTC viewers) on the event loop.

Decoded frames (only when something needs them: motion detection, MJPEG
viewers) are kept as ``latest_frame``.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import os
import stat
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import av
import cv2
import numpy as np

logger = logging.getLogger(__name__)

CLOCK = 90000
TIME_BASE = fractions.Fraction(1, CLOCK)
BACKOFF = (1, 2, 4, 8, 15, 30)
BUFFER_SLACK = 90.0  # seconds kept beyond the longest pre-alarm: a late feed still gets a full clip


@dataclass(slots=True)
class OutPacket:
    data: bytes
    pts: int  # 90 kHz
    dts: int
    key: bool
    wall: float  # time.time() when the packet was released (≈ captured, for live sources)


@dataclass
class CameraConfig:
    id: int
    name: str
    kind: str
    url: str
    username: str = ""
    password: str = ""
    masks: list = field(default_factory=list)
    motion: dict | None = None  # None = detection off; else the detector's settings
    pre_seconds: int = 10
    snapshot_interval: float = 1.0

    def key(self) -> tuple:
        return (self.kind, self.url, self.username, self.password, repr(self.masks), repr(self.motion),
                self.pre_seconds, self.snapshot_interval)


def with_credentials(url: str, username: str, password: str) -> str:
    if not username:
        return url
    parts = urllib.parse.urlsplit(url)
    netloc = f"{urllib.parse.quote(username, safe='')}:{urllib.parse.quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def mask_image(image: np.ndarray, polygons: list) -> np.ndarray:
    if not polygons:
        return image
    h, w = image.shape[:2]
    for polygon in polygons:
        points = np.array([[int(x * w), int(y * h)] for x, y in polygon], np.int32)
        cv2.fillPoly(image, [points], (0, 0, 0))
    return image


class SourceEnded(Exception):
    pass


class CameraReader:
    def __init__(self, config: CameraConfig, loop: asyncio.AbstractEventLoop, *, on_motion=None):
        self.config = config
        self.loop = loop
        self.on_motion = on_motion
        self.buffer: collections.deque[OutPacket] = collections.deque()
        self.buffer_lock = threading.Lock()
        self.subscribers: set = set()  # live viewers (asyncio queues, touched on the loop only)
        self.mjpeg_viewers = 0
        self.latest_frame: tuple[float, np.ndarray] | None = None
        self.frame_event = asyncio.Event()
        self.codec = ""
        self.width = 0
        self.height = 0
        self.passthrough = False
        self.error = ""
        self.connected = False
        self.last_packet_wall = 0.0
        self._frame_times: collections.deque[float] = collections.deque(maxlen=64)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{config.id}", daemon=True)
        self._last_dts: int | None = None
        self._clock0 = time.time()
        self._encoder = None
        self._detector = None
        if config.motion is not None:
            from video.service.motion import MotionDetector

            self._detector = MotionDetector(**config.motion, masks=config.masks)

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5) -> None:
        self._thread.join(timeout)

    @property
    def fps(self) -> float:
        times = [t for t in self._frame_times if t > time.time() - 5]
        if len(times) < 2:
            return 0.0
        return round((len(times) - 1) / (times[-1] - times[0]), 1) if times[-1] > times[0] else 0.0

    @property
    def online(self) -> bool:
        return self.connected and time.time() - self.last_packet_wall < 5

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            started = time.time()
            try:
                self._read_source()
            except SourceEnded:
                pass
            except Exception as exc:  # a camera failing never stops the service
                self.error = f"{type(exc).__name__}: {exc}"[:300]
                logger.warning("camera %s (%s): %s", self.config.id, self.config.name, self.error)
            self.connected = False
            if self._stop.is_set():
                break
            attempt = 0 if time.time() - started > 30 else attempt + 1
            self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)] if attempt else 0.5)
        self._close_encoder()

    # --- sources ---------------------------------------------------------------------------------

    def _read_source(self) -> None:
        kind = self.config.kind
        if kind == "snapshot":
            return self._read_snapshots()
        url = self.config.url
        options: dict[str, str] = {}
        fmt = None
        live = True
        loop_file = False
        if kind == "rtsp":
            url = with_credentials(url, self.config.username, self.config.password)
            options = {"rtsp_transport": "tcp", "timeout": "5000000"}
        elif kind == "mjpeg":
            url = with_credentials(url, self.config.username, self.config.password)
            fmt = "mpjpeg"
        elif kind == "file":
            if not os.path.exists(url):
                raise FileNotFoundError(url)
            loop_file = not stat.S_ISFIFO(os.stat(url).st_mode)
            live = not loop_file
        container = av.open(url, format=fmt, options=options, timeout=(10.0, 10.0))
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            ctx = stream.codec_context
            self.codec = ctx.name
            self.width, self.height = ctx.width, ctx.height
            self.passthrough = ctx.name == "h264" and not self.config.masks
            bsf = None
            if self.passthrough and ctx.extradata and ctx.extradata[:1] == b"\x01":
                # MP4-style (AVCC) H.264: WebRTC and our clips want Annex B with in-band SPS/PPS.
                bsf = av.bitstream.BitStreamFilterContext("h264_mp4toannexb", stream)
            self.connected = True
            self.error = ""
            pacer = _Pacer(stream.time_base, paced=not live)
            while not self._stop.is_set():
                for packet in container.demux(stream):
                    if self._stop.is_set():
                        return
                    if packet.dts is None and packet.pts is None:
                        continue
                    packets = bsf.filter(packet) if bsf is not None else [packet]
                    for pkt in packets:
                        wall = pacer.release(pkt)
                        self._handle_packet(pkt, stream, wall)
                if not loop_file:
                    raise SourceEnded()
                container.seek(0)
                pacer.new_loop()
        finally:
            container.close()

    def _read_snapshots(self) -> None:
        url = with_credentials(self.config.url, self.config.username, self.config.password)
        interval = max(0.1, self.config.snapshot_interval)
        while not self._stop.is_set():
            started = time.time()
            with urllib.request.urlopen(url, timeout=10) as response:
                data = response.read()
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                raise ValueError("the snapshot URL did not return an image")
            self.connected = True
            self.error = ""
            self.codec = "jpeg"
            self.height, self.width = image.shape[:2]
            self._handle_image(image, time.time())
            self._stop.wait(max(0.0, interval - (time.time() - started)))

    # --- packets and frames ----------------------------------------------------------------------

    def _handle_packet(self, packet: av.Packet, stream, wall: float) -> None:
        if self.passthrough:
            self._emit(bytes(packet), packet, stream.time_base, wall)
            if self._needs_frames():
                for frame in packet.decode():
                    self._handle_decoded(frame.to_ndarray(format="bgr24"), wall, encode=False)
            return
        for frame in packet.decode():
            self._handle_image(frame.to_ndarray(format="bgr24"), wall)

    def _handle_image(self, image: np.ndarray, wall: float) -> None:
        image = mask_image(image, self.config.masks)
        self._handle_decoded(image, wall, encode=True)

    def _needs_frames(self) -> bool:
        return self._detector is not None or self.mjpeg_viewers > 0

    def _handle_decoded(self, image: np.ndarray, wall: float, *, encode: bool) -> None:
        self.latest_frame = (wall, image)
        if self.mjpeg_viewers:
            self.loop.call_soon_threadsafe(self._notify_frame)
        if self._detector is not None and self._detector.feed(image, wall):
            if self.on_motion is not None:
                ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
                self.loop.call_soon_threadsafe(self.on_motion, self.config.id, wall, bytes(jpeg) if ok else b"")
        if encode:
            self._encode(image, wall)

    def _encode(self, image: np.ndarray, wall: float) -> None:
        h, w = image.shape[:2]
        if self._encoder is None or (self._encoder.width, self._encoder.height) != (w, h):
            self._close_encoder()
            codec = av.CodecContext.create("libx264", "w")
            codec.width, codec.height = w, h
            codec.pix_fmt = "yuv420p"
            codec.time_base = TIME_BASE
            codec.framerate = fractions.Fraction(10, 1)
            codec.profile = "Baseline"
            codec.bit_rate = 800_000
            codec.options = {"preset": "ultrafast", "tune": "zerolatency", "g": "10", "bf": "0",
                             "repeat-headers": "1"}
            codec.open()
            self._encoder = codec
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = int((wall - self._clock0) * CLOCK)
        frame.time_base = TIME_BASE
        for packet in self._encoder.encode(frame):
            self._emit(bytes(packet), packet, TIME_BASE, wall, already_retimed=True)

    def _close_encoder(self) -> None:
        self._encoder = None

    def _emit(self, data: bytes, packet, time_base, wall: float, already_retimed: bool = False) -> None:
        if not data:
            return
        if already_retimed:
            dts = int(packet.dts if packet.dts is not None else packet.pts)
            pts = int(packet.pts if packet.pts is not None else dts)
        else:
            # One timeline for the camera: decode time from the wall clock, the
            # source's pts-dts offset kept (B-frames), never going backwards.
            dts = int((wall - self._clock0) * CLOCK)
            offset = 0
            if packet.pts is not None and packet.dts is not None:
                offset = int((packet.pts - packet.dts) * time_base * CLOCK)
            pts = dts + max(0, offset)
        if self._last_dts is not None and dts <= self._last_dts:
            shift = self._last_dts + 1 - dts
            dts += shift
            pts += shift
        self._last_dts = dts
        out = OutPacket(data, pts, dts, bool(packet.is_keyframe), wall)
        self.last_packet_wall = wall
        self._frame_times.append(wall)
        with self.buffer_lock:
            self.buffer.append(out)
            horizon = wall - (self.config.pre_seconds + BUFFER_SLACK)
            while self.buffer and self.buffer[0].wall < horizon:
                self.buffer.popleft()
        if self.subscribers:
            self.loop.call_soon_threadsafe(self._fanout, out)

    # --- on the event loop -----------------------------------------------------------------------

    def _fanout(self, packet: OutPacket) -> None:
        for queue in list(self.subscribers):
            queue.offer(packet)

    def _notify_frame(self) -> None:
        self.frame_event.set()
        self.frame_event = asyncio.Event()

    def packets_between(self, start: float, end: float) -> list[OutPacket]:
        """Packets from the last keyframe at or before ``start`` up to ``end`` (wall clock)."""
        with self.buffer_lock:
            packets = list(self.buffer)
        first = 0
        for index, packet in enumerate(packets):
            if packet.wall > start:
                break
            if packet.key:
                first = index
        return [p for p in packets[first:] if p.wall <= end]


class _Pacer:
    """Releases a file's packets at their own pace (demo cameras play as live);
    live sources are released as they arrive."""

    def __init__(self, time_base, *, paced: bool):
        self.time_base = time_base
        self.paced = paced
        self.t0: float | None = None
        self.dts0 = 0
        self.last = 0.0

    def new_loop(self) -> None:
        self.t0 = None

    def release(self, packet) -> float:
        now = time.time()
        if not self.paced:
            self.last = now
            return now
        dts = packet.dts if packet.dts is not None else packet.pts
        if self.t0 is None:
            # Continue the previous loop one frame later, never in the past.
            self.t0 = max(now, self.last + 0.04) if self.last else now
            self.dts0 = dts
        target = self.t0 + float((dts - self.dts0) * self.time_base)
        delay = target - now
        if delay > 0:
            time.sleep(min(delay, 1.0))
        elif delay < -1.0:  # we fell behind (machine stalled): resynchronise instead of bursting
            self.t0 -= delay
            target = now
        self.last = max(target, now) if delay > 0 else now
        return self.last
