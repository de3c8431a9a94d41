"""The feed pump: one per web process, shared by its console sockets.

A doorbell ("event N happened") reaches every console socket through the
channel layer. Instead of each socket querying PostgreSQL, they poke the
process's pump: it reads what is new after its cursor (with the overlap
window of ``alarms.selectors.feed_after``), de-duplicates by id, and hands
the rows to every subscribed socket. Pokes that arrive while a read is in
flight coalesce into one more read, so a burst of 3,000 doorbells costs a
handful of queries, not 3,000 per console.

Only staff sockets subscribe (they may see every event); the pump is not a
filter and must never serve a client's socket.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async

from alarms.feed_window import FeedWindow

logger = logging.getLogger(__name__)

Deliver = Callable[[list[dict]], Awaitable[None]]


def _read(window: FeedWindow | None) -> tuple[FeedWindow, list[dict], bool]:
    """Ids above the window's floor (cheap), then full rows for the unseen ones only."""
    from alarms.selectors import events_by_ids, feed_cursor, feed_ids_for_staff

    if window is None:  # first use: start at the head (sockets resync by HTTP on connect)
        window = FeedWindow(max(feed_cursor() - 1, 0))
    ids = feed_ids_for_staff(window.floor())
    fresh = window.accept(ids)
    return window, (events_by_ids(fresh) if fresh else []), len(ids) >= 5000


class FeedPump:
    def __init__(self):
        self.window: FeedWindow | None = None
        self.subscribers: set[Deliver] = set()
        self.dirty = False
        self.task: asyncio.Task | None = None
        self.reads = 0

    def subscribe(self, deliver: Deliver) -> None:
        self.subscribers.add(deliver)

    def unsubscribe(self, deliver: Deliver) -> None:
        self.subscribers.discard(deliver)

    def poke(self, event_id: int | None = None) -> None:
        if event_id is not None and self.window is not None and event_id in self.window.seen:
            return
        self.dirty = True
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self.dirty:
            self.dirty = False
            try:
                # Not thread-sensitive: the read must not queue behind HTTP views.
                self.window, fresh, more = await database_sync_to_async(_read, thread_sensitive=False)(self.window)
            except Exception:
                logger.warning("feed pump read failed; consoles resync by polling", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            self.reads += 1
            if more:
                self.dirty = True
            if fresh:
                for deliver in list(self.subscribers):
                    try:
                        await deliver(fresh)
                    except Exception:
                        logger.info("console socket delivery failed", exc_info=True)


_current: tuple[asyncio.AbstractEventLoop, FeedPump] | None = None


def pump() -> FeedPump:
    """The pump of the running event loop (tests run several loops in one process).

    Matched on the loop object itself, not on ``id(loop)``: a new loop can get the id of
    a collected one, and would then inherit its pump, whose read task belongs to the dead
    loop and never finishes, so no poke would ever start a read again."""
    global _current
    loop = asyncio.get_running_loop()
    if _current is None or _current[0] is not loop:
        _current = (loop, FeedPump())  # at most one live loop per web process
    return _current[1]
