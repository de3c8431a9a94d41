"""Celery beat's scheduler, plus the timers watchdog.

Beat already runs the one-second tick; this subclass also checks, every few
seconds and straight against PostgreSQL, that ticks are actually being
*executed*. If the workers are dead or Redis is down, beat keeps sending
ticks that nobody runs; only something outside the tick can notice. (The web
process checks too, for the case where beat itself is the one that died.)
"""

from __future__ import annotations

import logging
import time

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

WATCHDOG_EVERY = 3.0


class Scheduler(PersistentScheduler):
    _last_watch = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._last_watch >= WATCHDOG_EVERY:
            self._last_watch = now
            self._watch()
        return min(interval, WATCHDOG_EVERY)

    def _watch(self) -> None:
        try:
            from django.db import close_old_connections

            from dispatch.services.timers import timers_watchdog

            close_old_connections()
            timers_watchdog(source="beat")
        except Exception:  # the database is down: nothing to raise an alarm with; keep beating
            logger.exception("timers watchdog failed")
            try:
                from django.db import connection

                connection.close()
            except Exception:
                pass
