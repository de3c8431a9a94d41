"""The reader's side of the feed's overlap window (the pump in Python; the
browser does the same in alarms/static/alarms/feed.js).

Event ids come from a sequence and are allocated before commit: a reader can
see N+1 committed while N is still in flight. So a reader remembers the ids
it skipped ("holes") and re-reads from just below the lowest one until it is
filled or HOLE_SECONDS have passed (then it was rolled back, or its
transaction is so slow that the periodic full reconciliation will catch it).
Everything read is de-duplicated by id.
"""

from __future__ import annotations

import time
from collections import OrderedDict

HOLE_SECONDS = 15.0
# A jump bigger than this is not enumerated hole by hole (a reader that was away
# pages through everything after its cursor anyway).
MAX_HOLES = 500
SEEN_MAX = 50_000


class FeedWindow:
    def __init__(self, cursor: int = 0, *, clock=time.monotonic):
        self.cursor = cursor
        self.holes: dict[int, float] = {}
        self.seen: OrderedDict[int, None] = OrderedDict()
        self.clock = clock

    def floor(self) -> int:
        """Read ids strictly above this."""
        self.expire()
        return min(self.holes) - 1 if self.holes else self.cursor

    def expire(self) -> None:
        now = self.clock()
        for hole in [h for h, at in self.holes.items() if now - at > HOLE_SECONDS]:
            del self.holes[hole]

    def accept(self, ids) -> list[int]:
        """Record ids just read (ascending or not); return those not seen before."""
        fresh = []
        now = self.clock()
        for event_id in sorted(set(ids)):
            self.holes.pop(event_id, None)
            if event_id in self.seen:
                continue
            fresh.append(event_id)
            self.seen[event_id] = None
            if event_id > self.cursor:
                gap = event_id - self.cursor - 1
                if 0 < gap <= MAX_HOLES:
                    for missing in range(self.cursor + 1, event_id):
                        if missing not in self.seen:
                            self.holes.setdefault(missing, now)
                self.cursor = event_id
        while len(self.seen) > SEEN_MAX:
            self.seen.popitem(last=False)
        return fresh
