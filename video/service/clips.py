"""Clip and snapshot files, written from the ring buffer's packets.

Clips are a remux of the camera's H.264 packets into MP4 (no re-encode), with
``+faststart`` so that browsers start playing before the whole file is read.
The MP4 stream is created from a template that FFmpeg's raw H.264 demuxer
builds from the first keyframe's SPS/PPS, so the avcC box describes the real
stream (an encoder-made template would claim another profile).
Snapshots are decoded from the same packets: a few JPEGs, one second apart.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import av
import cv2

from video.service.reader import TIME_BASE, OutPacket


class ClipError(Exception):
    pass


def write_mp4(packets: list[OutPacket], path: Path) -> dict:
    """Remux ``packets`` (starting with a keyframe) into ``path``; returns facts about it."""
    if not packets or not packets[0].key:
        raise ClipError("no keyframe in the buffer for this window")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with av.open(io.BytesIO(packets[0].data), format="h264") as template:
        source = template.streams.video[0]
        if not source.codec_context.extradata:
            raise ClipError("the first keyframe carries no SPS/PPS")
        out = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = out.add_stream_from_template(source)
            stream.time_base = TIME_BASE
            started = dt.datetime.fromtimestamp(packets[0].wall, dt.UTC)
            out.metadata["creation_time"] = started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            base = packets[0].dts
            for item in packets:
                packet = av.Packet(item.data)
                packet.pts = item.pts - base
                packet.dts = item.dts - base
                packet.time_base = TIME_BASE
                packet.is_keyframe = item.key
                packet.stream = stream
                out.mux(packet)
        finally:
            out.close()
    os.replace(tmp, path)
    return {"started": packets[0].wall, "ended": packets[-1].wall, "size": path.stat().st_size,
            "frames": len(packets)}


def write_snapshots(packets: list[OutPacket], targets: list[float], directory: Path, stem: str) -> list[tuple]:
    """Decode ``packets`` and save the frame nearest each target wall time as JPEG.
    Returns [(wall, path)] (targets beyond the packets are skipped)."""
    if not packets:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    codec = av.CodecContext.create("h264", "r")
    remaining = sorted(t for t in targets if packets[0].wall - 0.5 <= t <= packets[-1].wall + 0.5)
    written = []
    for item in packets:
        if not remaining:
            break
        for frame in codec.decode(av.Packet(item.data)):
            if item.wall + 0.05 < remaining[0]:
                continue
            image = frame.to_ndarray(format="bgr24")
            target = remaining.pop(0)
            path = directory / f"{stem}-{len(written) + 1}.jpg"
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
            if ok:
                path.write_bytes(jpeg.tobytes())
                written.append((item.wall, path))
            while remaining and remaining[0] <= item.wall + 0.05:
                remaining.pop(0)
            del target
            break
    return written
