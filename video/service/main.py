"""The video service (``manage.py run_video``): one asyncio process.

- one CameraReader per active camera (its own thread), shared by every viewer;
- WebRTC offers arrive through the channel layer (group VIDEO_SERVICE_GROUP,
  sent by the console socket's handler after it authorised the user); the
  answer goes back to that socket's channel as a ``ws.relay`` message; the
  media flows from here to the browser, never through Django;
- the alarm feed is read from PostgreSQL by id (a cursor row), woken by the
  feed doorbell and by a 2-second poll, so a lost push only delays a clip;
- health (state, fps) of each camera is written every few seconds, with the
  ``video`` heartbeat; video loss during armed hours raises a technical alarm;
- housekeeping: video patrols (missed rounds) and clip retention.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import socket
import time
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from video.service import clips as clipfiles
from video.service import feed as feedmod
from video.service.mjpeg import HttpServer
from video.service.reader import CameraReader
from video.service.webrtc import Session, answer_offer, restrict_ice_to_loopback

logger = logging.getLogger(__name__)

HEALTH_INTERVAL = 2.0
SYNC_INTERVAL = 10.0
HOUSEKEEPING_INTERVAL = 30.0
PURGE_INTERVAL = 3600.0
CLIP_MARGIN = 1.0  # seconds recorded beyond the post-alarm time


def db(fn):
    """Run a Django ORM call in the one thread-sensitive worker thread."""

    def call(*args, **kwargs):
        close_old_connections()
        return fn(*args, **kwargs)

    return sync_to_async(call, thread_sensitive=True)


class VideoService:
    def __init__(self, *, shard: tuple[int, int] = (0, 1)):
        self.shard = shard
        self.name = f"{socket.gethostname()}-{os.getpid()}"
        self.readers: dict[int, CameraReader] = {}
        self.sessions: dict[str, Session] = {}
        self.motion_recent: dict[int, float] = {}
        self.stopping = asyncio.Event()
        self.feed_wake = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.http = HttpServer(self)
        self.started = time.time()
        self.tasks: set[asyncio.Task] = set()

    # --- run ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.loop.add_signal_handler(sig, self.stopping.set)
        if settings.VIDEO_ICE_LOOPBACK:
            restrict_ice_to_loopback()
        await self.http.start(settings.VIDEO_BIND, settings.VIDEO_PORT)
        from video.services.clips import clips_abandon_interrupted

        await db(clips_abandon_interrupted)(older_than=dt.datetime.now(dt.UTC))
        await self.sync_cameras()
        logger.info("video service %s: %d camera(s), HTTP on %s:%s", self.name, len(self.readers),
                    settings.VIDEO_BIND, settings.VIDEO_PORT)
        workers = [self._every(SYNC_INTERVAL, self.sync_cameras), self._every(HEALTH_INTERVAL, self.publish_health),
                   self._every(HOUSEKEEPING_INTERVAL, self.housekeeping), self._every(PURGE_INTERVAL, self.purge),
                   self.channel_loop(), feedmod.feed_loop(self)]
        running = [asyncio.create_task(w) for w in workers]
        await self.stopping.wait()
        logger.info("video service stopping")
        for task in running + list(self.tasks):
            task.cancel()
        for session in list(self.sessions.values()):
            await self.close_session(session.id)
        for reader in self.readers.values():
            reader.stop()
        await self.http.stop()
        for reader in self.readers.values():
            await asyncio.to_thread(reader.join, 3)
        logger.info("video service stopped")

    async def _every(self, seconds: float, job) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("video service job %s failed; retrying later", job.__name__)

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- cameras -----------------------------------------------------------------------------------

    async def sync_cameras(self) -> None:
        from video.selectors_service import active_camera_configs

        configs = await db(active_camera_configs)(shard=self.shard)
        wanted = {c.id: c for c in configs}
        for camera_id in list(self.readers):
            reader = self.readers[camera_id]
            if camera_id not in wanted or wanted[camera_id].key() != reader.config.key():
                reader.stop()
                del self.readers[camera_id]
                for session in [s for s in self.sessions.values() if s.meta.get("camera") == camera_id]:
                    await self.close_session(session.id)
        for camera_id, config in wanted.items():
            if camera_id not in self.readers:
                reader = CameraReader(config, self.loop, on_motion=self.on_motion)
                self.readers[camera_id] = reader
                reader.start()
        self.known_cameras = set(wanted)

    async def publish_health(self) -> None:
        from arc.heartbeat import beat
        from video.selectors_service import camera_ids_in_shard
        from video.services.cameras import camera_loss_signal, health_publish

        all_ids = await db(camera_ids_in_shard)(shard=self.shard)
        reports = []
        for camera_id in all_ids:
            reader = self.readers.get(camera_id)
            if reader is None:
                reports.append({"camera": camera_id, "state": "inactive"})
                continue
            reports.append({
                "camera": camera_id, "state": "online" if reader.online else "offline", "fps": reader.fps,
                "codec": reader.codec, "width": reader.width, "height": reader.height,
                "passthrough": reader.passthrough, "error": "" if reader.online else reader.error,
                "viewers": len(reader.subscribers) + reader.mjpeg_viewers,
                "last_frame_at": reader.last_packet_wall or None,
            })
        due = await db(health_publish)(reports=reports, service=self.name)
        for camera_id in due:
            try:
                await db(camera_loss_signal)(camera_id=camera_id)
            except Exception:
                logger.exception("video loss alarm for camera %s not submitted", camera_id)
        back = [r["camera"] for r in reports if r["state"] == "online"]
        if back:
            from video.selectors_service import lost_signalled_among

            for camera_id in await db(lost_signalled_among)(back):
                try:
                    await db(camera_loss_signal)(camera_id=camera_id, restore=True)
                except Exception:
                    logger.exception("video restore for camera %s not submitted", camera_id)
        online = sum(1 for r in reports if r["state"] == "online")
        beat("video", {"cameras": len(self.readers), "online": online, "sessions": len(self.sessions),
                       "service": self.name})

    def health_snapshot(self) -> dict:
        return {"service": self.name, "uptime": round(time.time() - self.started),
                "cameras": {str(i): {"online": r.online, "fps": r.fps, "codec": r.codec,
                                     "passthrough": r.passthrough, "viewers": len(r.subscribers),
                                     "error": r.error} for i, r in self.readers.items()},
                "sessions": len(self.sessions)}

    # --- motion ------------------------------------------------------------------------------------

    def on_motion(self, camera_id: int, wall: float, jpeg: bytes) -> None:
        self.motion_recent[camera_id] = wall
        self.spawn(self._motion(camera_id, wall, jpeg))

    async def _motion(self, camera_id: int, wall: float, jpeg: bytes) -> None:
        from video.services.cameras import motion_signal

        try:
            await db(motion_signal)(camera_id=camera_id, at=dt.datetime.fromtimestamp(wall, dt.UTC), snapshot=jpeg)
            logger.info("motion on camera %s submitted", camera_id)
        except Exception:
            logger.exception("motion alarm of camera %s not submitted", camera_id)

    # --- clips -------------------------------------------------------------------------------------

    async def record_clip(self, clip_id: int, camera_id: int, trigger: float, pre: int, post: int) -> None:
        from video.services.clips import clip_fail, clip_finish

        reader = self.readers.get(camera_id)
        try:
            if reader is None:
                raise clipfiles.ClipError("caméra non lue par le service (hors heures ou désactivée)")
            day = dt.datetime.fromtimestamp(trigger, dt.UTC).strftime("%Y/%m/%d")
            relative_dir = Path("video") / day
            stem = f"clip-{clip_id}-cam{camera_id}"
            # Snapshots first: they appear on the alarm a few seconds after it.
            targets = [trigger - 1 + i for i in range(5)]
            await asyncio.sleep(max(0.0, targets[-1] + 0.5 - time.time()))
            packets = reader.packets_between(targets[0] - 0.1, targets[-1] + 0.2)
            shots = await asyncio.to_thread(clipfiles.write_snapshots, packets, targets,
                                            Path(settings.MEDIA_ROOT) / relative_dir, stem)
            # A camera's frames reach us a little after they were taken (encoder,
            # network): keep a margin so that the post-alarm time is fully covered.
            await asyncio.sleep(max(0.0, trigger + post + CLIP_MARGIN + 0.3 - time.time()))
            packets = reader.packets_between(trigger - pre, trigger + post + CLIP_MARGIN)
            facts = await asyncio.to_thread(clipfiles.write_mp4, packets,
                                            Path(settings.MEDIA_ROOT) / relative_dir / f"{stem}.mp4")
            await db(clip_finish)(clip_id=clip_id, file=str(relative_dir / f"{stem}.mp4"), started=facts["started"],
                                  ended=facts["ended"], size=facts["size"],
                                  snapshots=[(w, str(relative_dir / p.name)) for w, p in shots])
            logger.info("clip %s written (%d packets, %.1f s)", clip_id, facts["frames"],
                        facts["ended"] - facts["started"])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("clip %s failed: %s", clip_id, exc)
            await db(clip_fail)(clip_id=clip_id, error=str(exc) or type(exc).__name__)

    # --- signalling (channel layer) ----------------------------------------------------------------

    async def channel_loop(self) -> None:
        from channels.layers import get_channel_layer

        from alarms.feed import STAFF_GROUP

        layer = get_channel_layer()
        channel = None
        joined_at = 0.0
        while True:
            try:
                if channel is None:
                    channel = await layer.new_channel("video.")
                if time.time() - joined_at > 600:  # groups expire; join again now and then
                    await layer.group_add(settings.VIDEO_SERVICE_GROUP, channel)
                    await layer.group_add(STAFF_GROUP, channel)
                    joined_at = time.time()
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("channel layer unreachable; retrying", exc_info=True)
                joined_at = 0.0
                await asyncio.sleep(2)
                continue
            kind = message.get("type")
            if kind == "feed.event":
                self.feed_wake.set()
            elif kind == "video.offer":
                self.spawn(self.handle_offer(layer, message))
            elif kind == "video.hangup":
                self.spawn(self.close_session(str(message.get("session", ""))))

    async def handle_offer(self, layer, message: dict) -> None:
        camera_id = message.get("camera")
        session_id = str(message.get("session", ""))[:64]
        reply = message.get("reply")
        if not isinstance(camera_id, int) or not reply or not self._mine(camera_id):
            return
        reader = self.readers.get(camera_id)
        payload: dict = {"session": str(message.get("client_session", ""))[:40], "camera": camera_id}
        if reader is None:
            payload.update(type="video.error", error="camera_inactive")
        else:
            try:
                session, sdp, codec = await answer_offer(reader, str(message.get("sdp", "")),
                                                         loopback=settings.VIDEO_ICE_LOOPBACK)
                session.id = session_id
                session.meta = {"camera": camera_id, "user": message.get("user"), "reply": reply}
                await self.close_session(session_id)
                self.sessions[session_id] = session
                self._watch(session)
                payload.update(type="video.answer", sdp=sdp, codec=codec, passthrough=codec == "H264")
            except Exception as exc:
                logger.warning("offer for camera %s refused: %s", camera_id, exc)
                payload.update(type="video.error", error="bad_offer")
        try:
            await layer.send(reply, {"type": "ws.relay", "payload": payload})
        except Exception:
            logger.warning("answer for session %s not delivered", session_id, exc_info=True)
            await self.close_session(session_id)

    def _mine(self, camera_id: int) -> bool:
        index, count = self.shard
        return camera_id % count == index

    def _watch(self, session: Session) -> None:
        @session.pc.on("connectionstatechange")
        async def on_state():
            if session.pc.connectionState in ("failed", "closed"):
                await self.close_session(session.id)

    async def close_session(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        session.track.stop()
        await session.pc.close()
        from video.services.viewing import view_end

        try:
            await db(view_end)(session=session_id)
        except Exception:
            logger.warning("view end of %s not recorded", session_id, exc_info=True)

    async def check_token(self, token: str, camera_id: int):
        from video.services.viewing import mjpeg_token_check

        return mjpeg_token_check(token, camera_id) if self._mine(camera_id) else None

    async def end_view(self, view_id) -> None:
        from video.models import ViewLog

        if view_id:
            await db(lambda: ViewLog.objects.filter(pk=view_id, ended_at__isnull=True)
                     .update(ended_at=dt.datetime.now(dt.UTC)))()

    # --- housekeeping ------------------------------------------------------------------------------

    async def housekeeping(self) -> None:
        if self.shard[0] != 0:
            return  # one service of the centre runs the centre-wide checks
        from video.services.patrols import patrol_rounds_flag_missed, patrol_rounds_plan

        await db(patrol_rounds_plan)()
        await db(patrol_rounds_flag_missed)()

    async def purge(self) -> None:
        if self.shard[0] != 0:
            return
        from video.services.clips import clips_purge

        count = await db(clips_purge)()
        if count:
            logger.info("retention: %d clip(s) purged", count)
