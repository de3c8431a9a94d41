"""``manage.py run_intake``: the intake worker.

Wakes on NOTIFY (the receiver and signal_submit notify in their commit) and
polls every ARC_INTAKE_POLL_SECONDS in case a notification was missed (a
worker restarting, a connection lost). Pending signals are claimed per site
with an advisory lock and processed in id order, each in its own
transaction; several workers can run side by side.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections, connection

from alarms.services.intake import NOTIFY_CHANNEL, process_pending, purge_dedup

logger = logging.getLogger("alarms.intake")


def _listen_connection():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    conn = psycopg.connect(**params, autocommit=True)
    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return conn


class Command(BaseCommand):
    help = "Run the intake worker: turn pending signals into alarms (NOTIFY wake-up + periodic poll)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process what is pending and exit")

    def handle(self, *args, **opts):
        if opts["once"]:
            self.stdout.write(f"processed {process_pending()}")
            return
        stopping = []

        def stop(*_args):
            stopping.append(True)
            if waiting:
                raise _Stop  # break out of the LISTEN wait at once; between signals, finish the current one
        waiting: list = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)
        name = f"intake:{socket.gethostname()}-{os.getpid()}"
        listener = _listen_connection()
        last_purge = last_beat = 0.0
        processed = 0
        logger.info("intake worker %s started (listening on %s)", name, NOTIFY_CHANNEL)
        while not stopping:
            try:
                if listener is None:
                    listener = _listen_connection()
                close_old_connections()
                processed += process_pending()
                now = time.monotonic()
                if now - last_purge > 600:
                    last_purge = now
                    import datetime as dt
                    purge_dedup(older_than=dt.timedelta(hours=settings.INTAKE_DEDUP_HOURS * 2))
                if now - last_beat > 5:
                    last_beat = now
                    _beat(name, processed)
                # Sleep until a NOTIFY arrives or the poll interval passes.
                waiting.append(True)
                try:
                    if not stopping:
                        for _n in listener.notifies(timeout=settings.INTAKE_POLL_SECONDS, stop_after=1):
                            break
                finally:
                    waiting.clear()
            except _Stop:
                break
            except (OperationalError, psycopg.OperationalError):
                logger.warning("intake: database unavailable; retrying in 1 s", exc_info=True)
                if listener is not None:
                    try:
                        listener.close()
                    except Exception:
                        pass
                listener = None
                try:
                    connection.close()
                except Exception:
                    pass
                time.sleep(1)
        logger.info("intake worker %s stopped after %d signals", name, processed)


class _Stop(Exception):
    pass


def _beat(name: str, processed: int) -> None:
    try:
        from arc.heartbeat import beat
    except ImportError:
        return
    beat(name, {"processed": processed})
