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
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async

logger = logging.getLogger(__name__)

Deliver = Callable[[list[dict]], Awaitable[None]]
SEEN_MAX = 50_000


def _read(after: int) -> dict:
    from alarms.selectors import feed_after_for_staff, feed_cursor

    if after < 0:  # first use: start from the head (sockets resync by HTTP on connect)
        return {"events": [], "cursor": max(feed_cursor() - 1, 0), "more": True}
    return feed_after_for_staff(after)


class FeedPump:
    def __init__(self):
        self.cursor = -1
        self.subscribers: set[Deliver] = set()
        self.seen: OrderedDict[int, None] = OrderedDict()
        self.dirty = False
        self.task: asyncio.Task | None = None
        self.reads = 0

    def subscribe(self, deliver: Deliver) -> None:
        self.subscribers.add(deliver)

    def unsubscribe(self, deliver: Deliver) -> None:
        self.subscribers.discard(deliver)

    def poke(self, event_id: int | None = None) -> None:
        if event_id is not None and event_id in self.seen:
            return
        self.dirty = True
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self.dirty:
            self.dirty = False
            try:
                page = await database_sync_to_async(_read)(self.cursor)
            except Exception:
                logger.warning("feed pump read failed; consoles resync by polling", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            self.reads += 1
            fresh = [e for e in page["events"] if e["id"] not in self.seen]
            for event in fresh:
                self.seen[event["id"]] = None
            while len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
            self.cursor = max(self.cursor, page["cursor"])
            if page.get("more"):
                self.dirty = True
            if fresh:
                for deliver in list(self.subscribers):
                    try:
                        await deliver(fresh)
                    except Exception:
                        logger.info("console socket delivery failed", exc_info=True)


_pumps: dict[int, FeedPump] = {}


def pump() -> FeedPump:
    """The pump of the running event loop (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    key = id(loop)
    current = _pumps.get(key)
    if current is None:
        _pumps.clear()  # at most one live loop per web process
        current = _pumps[key] = FeedPump()
    return current
