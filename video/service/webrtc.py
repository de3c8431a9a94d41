"""WebRTC live view with aiortc.

H.264 passthrough: aiortc's RTCRtpSender accepts ``av.Packet`` objects from
a track and only packetises them (``H264Encoder.pack``), so each viewer costs
RTP packetisation and SRTP, never an encode. The camera reader's packets are
Annex B H.264 (what ``pack`` splits on start codes) on a 90 kHz timeline.
Each viewer starts at the next keyframe and, when it falls behind (queue
full), drops to the next keyframe instead of buffering latency.

A browser that offers no H.264 gets VP8 from decoded frames (aiortc encodes
per viewer: slower, but it still plays).

ICE: aiortc gathers no candidates by trickle; the answer carries them all.
With ARC_VIDEO_ICE_LOOPBACK, aioice only offers 127.0.0.1 and the offer's
non-loopback candidates are dropped (tests and demo machines keep every
packet on the loopback interface).
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

from video.service.reader import TIME_BASE, CameraReader, OutPacket

logger = logging.getLogger(__name__)


def restrict_ice_to_loopback() -> None:
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def loopback_only(sdp: str) -> str:
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if len(parts) > 4 and parts[4] not in ("127.0.0.1", "::1", "localhost"):
                continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


class Subscription:
    """A viewer's queue of packets, fed by the reader on the event loop."""

    def __init__(self, maxsize: int = 60):
        self.queue: asyncio.Queue[OutPacket] = asyncio.Queue(maxsize)
        self.waiting_key = True
        self.dropped = 0

    def offer(self, packet: OutPacket) -> None:
        if self.waiting_key:
            if not packet.key:
                return
            self.waiting_key = False
        try:
            self.queue.put_nowait(packet)
        except asyncio.QueueFull:
            # Too slow a viewer: empty the queue and resume at the next keyframe.
            self.dropped += 1
            while not self.queue.empty():
                self.queue.get_nowait()
            self.waiting_key = True


class PassthroughTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, reader: CameraReader):
        super().__init__()
        self.reader = reader
        self.subscription = Subscription()
        reader.subscribers.add(self.subscription)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        item = await self.subscription.queue.get()
        packet = av.Packet(item.data)
        packet.pts = item.pts
        packet.dts = item.dts
        packet.time_base = TIME_BASE
        return packet

    def stop(self) -> None:
        super().stop()
        self.reader.subscribers.discard(self.subscription)


class FrameTrack(MediaStreamTrack):
    """Fallback for browsers without H.264: decoded frames, encoded by aiortc."""

    kind = "video"

    def __init__(self, reader: CameraReader):
        super().__init__()
        self.reader = reader
        reader.mjpeg_viewers += 1  # asks the reader for decoded frames
        self._start = time.time()
        self._last = 0.0

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        while True:
            latest = self.reader.latest_frame
            if latest is not None and latest[0] != self._last:
                break
            await asyncio.wait_for(self.reader.frame_event.wait(), timeout=10)
        wall, image = latest
        self._last = wall
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = int((wall - self._start) * 90000)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame

    def stop(self) -> None:
        if self.readyState == "live":
            self.reader.mjpeg_viewers = max(0, self.reader.mjpeg_viewers - 1)
        super().stop()


class Session:
    def __init__(self, session_id: str, pc: RTCPeerConnection, track: MediaStreamTrack, meta: dict):
        self.id = session_id
        self.pc = pc
        self.track = track
        self.meta = meta
        self.created = time.time()


async def answer_offer(reader: CameraReader, sdp: str, *, loopback: bool) -> tuple[Session | None, str, str]:
    """Build the peer connection for one viewer; returns (session, answer sdp, codec)."""
    if loopback:
        sdp = loopback_only(sdp)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = None
    try:
        h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() == "video/h264"]
        if "h264/90000" in sdp.lower() and h264:
            track = PassthroughTrack(reader)
            codec = "H264"
        else:
            track = FrameTrack(reader)
            codec = "VP8"
        # The transceiver exists before the offer is applied, so that aiortc
        # negotiates with our preferences (H.264 only for passthrough): the
        # preferences are read when the remote description is set.
        transceiver = pc.addTransceiver(track, direction="sendonly")
        if codec == "H264":
            transceiver.setCodecPreferences(h264)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        return Session("", pc, track, {}), pc.localDescription.sdp, codec
    except Exception:
        if track is not None:
            track.stop()
        await pc.close()
        raise
