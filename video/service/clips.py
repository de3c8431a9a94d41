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
    """Save a few decoded frames as JPEG: the first at or after ``targets[0]``,
    then each the latest frame at most one second after the previous one, up
    to ``len(targets)``. Returns [(wall, path)]."""
    if not packets or not targets:
        return []
    walls = [p.wall for p in packets]
    chosen: list[int] = []
    first = next((i for i, w in enumerate(walls) if w >= targets[0] - 0.05), None)
    if first is None:
        return []
    chosen.append(first)
    while len(chosen) < len(targets):
        limit = walls[chosen[-1]] + 1.0
        nxt = max((i for i in range(chosen[-1] + 1, len(walls)) if walls[i] <= limit), default=None)
        if nxt is None:
            break
        chosen.append(nxt)
    directory.mkdir(parents=True, exist_ok=True)
    codec = av.CodecContext.create("h264", "r")
    wanted = set(chosen)
    written = []
    for index, item in enumerate(packets[:chosen[-1] + 1]):
        for frame in codec.decode(av.Packet(item.data)):
            if index not in wanted:
                continue
            path = directory / f"{stem}-{len(written) + 1}.jpg"
            ok, jpeg = cv2.imencode(".jpg", frame.to_ndarray(format="bgr24"), [cv2.IMWRITE_JPEG_QUALITY, 85])
            if ok:
                path.write_bytes(jpeg.tobytes())
                written.append((item.wall, path))
    return written
