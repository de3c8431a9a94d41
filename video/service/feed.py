"""The video service reads the alarm feed (AlarmEvent rows) by id.

PostgreSQL is the truth: the doorbell (``feed.event`` on the channel layer)
only wakes the loop early; a 2-second poll catches what a lost push missed.
Ids come from a sequence and can commit out of order, so each read goes back
OVERLAP ids behind the cursor and skips what it already handled; a clip
exists once per camera and alarm (a unique constraint), so a restart that
re-reads never records twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
CURSOR = "video-clips"


async def feed_loop(service) -> None:
    from video.service.main import db
    from video.services.feed import feed_read

    handled: set[int] = set()
    cursor = None
    while True:
        try:
            await asyncio.wait_for(service.feed_wake.wait(), timeout=POLL_SECONDS)
        except TimeoutError:
            pass
        service.feed_wake.clear()
        try:
            cursor, triggers = await db(feed_read)(cursor_name=CURSOR, handled=handled,
                                                   motion_recent=dict(service.motion_recent),
                                                   shard=service.shard)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("alarm feed read failed; retrying")
            await asyncio.sleep(POLL_SECONDS)
            continue
        for trigger in triggers:
            logger.info("alarm %s: clip %s on camera %s", trigger["alarm"], trigger["clip"], trigger["camera"])
            service.spawn(service.record_clip(trigger["clip"], trigger["camera"], trigger["at"],
                                              trigger["pre"], trigger["post"]))
        if len(handled) > 5000:
            keep = sorted(handled)[-2000:]
            handled.clear()
            handled.update(keep)
        now = time.time()
        for camera_id, wall in list(service.motion_recent.items()):
            if now - wall > 120:
                service.motion_recent.pop(camera_id, None)
