"""A Celery worker bootstep: the timers watchdog, in the worker's main process.

Beat checks that ticks are executed (dead workers, dead Redis); this checks
from the other side that ticks keep coming (dead beat). It runs on the
worker's own timer thread, never as a task, so it needs neither beat nor the
broker. See dispatch.services.timers.
"""

from __future__ import annotations

import logging

from celery import bootsteps

logger = logging.getLogger(__name__)

EVERY = 5.0


class TimersWatchdog(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        self.tref = worker.timer.call_repeatedly(EVERY, self.check, priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    @staticmethod
    def check() -> None:
        from django.db import close_old_connections, connection

        try:
            close_old_connections()
            from dispatch.services.timers import timers_watchdog

            timers_watchdog(source="worker")
        except Exception:  # the database is down: nothing to raise with; try again later
            logger.exception("timers watchdog failed")
            try:
                connection.close()
            except Exception:
                pass
