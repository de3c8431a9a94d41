"""``manage.py healthcheck``: exit 0 when healthy, non-zero otherwise.

Without ``--process`` it checks the whole centre (as ``/health/``) and exits
0 (ok), 1 (degraded) or 2 (down). With ``--process`` it checks one process on
this host, for container health checks and supervisors:

    web       this node answers /health/live/ (HTTP + database)
    receiver  the DC-09 port accepts connections and the receiver's heartbeat is fresh
    intake    an intake worker on this host beats
    worker    the Celery worker answers a ping over the broker
    beat      the timer tick runs (beat schedules it, a worker runs it)
    video     the video service beats (and its port answers)

A process check looks at that process only: a web node is not "unhealthy"
because a receiver is down, so an orchestrator never restarts the wrong box.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from arc import heartbeat
from arc.health import DEGRADED, DOWN, OK, centre_health

EXIT = {OK: 0, DEGRADED: 1, DOWN: 2}


class Command(BaseCommand):
    help = "Check the centre's health, or one process's (--process), for health checks."

    def add_arguments(self, parser):
        parser.add_argument("--process", choices=["web", "receiver", "intake", "worker", "beat", "video"])
        parser.add_argument("--port", type=int, help="port of the process (web, receiver, video)")
        parser.add_argument("--name", help="receiver name (default ARC_RECEIVER_NAME) or Celery node name")
        parser.add_argument("--max-age", type=float, help="heartbeat age limit in seconds")
        parser.add_argument("--json", action="store_true", help="print the full JSON (centre check)")
        parser.add_argument("--timeout", type=float, default=3.0)

    def handle(self, *args, process=None, **options):
        if process is None:
            return self._centre(options)
        ok, message = getattr(self, f"_check_{process}")(options)
        (self.stdout if ok else self.stderr).write(f"{process}: {message}")
        if not ok:
            raise SystemExit(1)

    def _centre(self, options):
        health = centre_health(use_cache=False)
        if options["json"]:
            self.stdout.write(json.dumps(health, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(f"centre: {health['status']}")
            for name, check in health["checks"].items():
                self.stdout.write(f"  {name:10} {check['status']}")
            for problem in health["problems"]:
                self.stdout.write(f"  ! {problem}")
        if health["status"] != OK:
            raise SystemExit(EXIT[health["status"]])

    # --- one process each ----------------------------------------------------------------
    def _fresh(self, kind: str, max_age: float, *, name: str | None = None, local: bool = False):
        beats = heartbeat.read_all()
        found = [hb for hb in beats.values()
                 if (hb.name == name if name else hb.kind == kind)
                 and (not local or hb.host == heartbeat.HOST)]
        if not found:
            return False, f"no heartbeat{' from this host' if local else ''}"
        newest = max(found, key=lambda h: h.at)
        age = newest.age()
        if age > max_age:
            return False, f"last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)"
        return True, f"heartbeat {age:.1f} s ago"

    def _check_web(self, options):
        port = options["port"] or settings.HTTP_PORT
        url = f"http://127.0.0.1:{port}/health/live/"
        try:
            with urllib.request.urlopen(url, timeout=options["timeout"]) as response:
                return response.status == 200, f"{url} answered {response.status}"
        except urllib.error.HTTPError as exc:
            return False, f"{url} answered {exc.code}"
        except OSError as exc:
            return False, f"{url} unreachable ({exc})"

    def _check_receiver(self, options):
        port = options["port"] or settings.DC09_PORT
        name = options["name"] or settings.RECEIVER_NAME
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=options["timeout"]):
                pass
        except OSError as exc:
            return False, f"DC-09 port {port} closed ({exc})"
        ok, message = self._fresh("receiver", options["max_age"] or settings.HEALTH_RECEIVER_STALE,
                                  name=f"receiver:{name}")
        return ok, f"{name} on port {port}: {message}"

    def _check_intake(self, options):
        return self._fresh("intake", options["max_age"] or settings.HEALTH_INTAKE_STALE, local=True)

    def _check_beat(self, options):
        return self._fresh("timers", options["max_age"] or settings.HEALTH_TIMER_STALE)

    def _check_video(self, options):
        if options["port"]:
            try:
                with socket.create_connection(("127.0.0.1", options["port"]), timeout=options["timeout"]):
                    pass
            except OSError as exc:
                return False, f"video port {options['port']} closed ({exc})"
        return self._fresh("video", options["max_age"] or settings.HEALTH_VIDEO_STALE, local=True)

    def _check_worker(self, options):
        from arc.celery import app

        node = options["name"] or f"worker@{socket.gethostname()}"
        started = time.monotonic()
        replies = app.control.ping(destination=[node], timeout=options["timeout"])
        if any(node in reply for reply in replies or []):
            return True, f"{node} answered in {time.monotonic() - started:.2f} s"
        return False, f"{node} did not answer within {options['timeout']:.0f} s"
