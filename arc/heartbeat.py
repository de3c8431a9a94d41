"""Heartbeats of the long-running processes, read by arc/health.py.

Each long-running process says "I am alive" with ``beat(name, detail)``:

    from arc.heartbeat import beat
    beat("receiver:rx1", {"last_frame_at": ts, "frames": n})   # INTAKE, at least every 10 s
    beat("intake:<host>-<pid>", {"pending": n})                 # INTAKE worker loop
    beat("timers", {"claimed": n})                              # DISPATCH, each beat tick
    beat("video", {"cameras": n})                               # VIDEO service loop

Names are ``kind`` or ``kind:instance``; health groups them by kind.

Why it looks like this:

- A heartbeat that fails must never break its caller (a receiver that cannot
  reach Redis still ACKs frames it committed to PostgreSQL), so ``beat`` only
  updates an in-process dict and wakes a writer thread; it never raises, never
  blocks, never does I/O in the caller's thread, and never joins the caller's
  transaction. It is safe from async code (the receiver's event loop).
- The writer thread publishes to Redis (key ``arc:heartbeat:<name>`` with a
  TTL, plus the name in the set ``arc:heartbeats``) at most once a second per
  name, and upserts a PostgreSQL row (table ``arc_heartbeat``) every
  ``PG_INTERVAL`` seconds, at once when Redis fails. So when Redis is down
  health still knows which processes live, and when PostgreSQL is down the
  Redis key still says so.
- Forked children (Celery prefork) get their own writer thread: the thread
  does not survive ``fork``, so it is restarted when the pid changes.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

KEY_PREFIX = "arc:heartbeat:"
NAMES_KEY = "arc:heartbeats"
TTL = 600  # a dead process's key lingers long enough for health to say "last seen N s ago"
REDIS_INTERVAL = 1.0
PG_INTERVAL = 10.0
HOST = socket.gethostname()

_lock = threading.Lock()
_latest: dict[str, dict] = {}
_dirty_redis: set[str] = set()
_dirty_pg: set[str] = set()
_write_lock = threading.Lock()  # one write at a time, so flush() waits for one in flight
_wake = threading.Event()
_writer: threading.Thread | None = None
_writer_pid: int | None = None
_last_warning = 0.0


def beat(name: str, detail: dict | None = None) -> None:
    """Record that the process ``name`` is alive now; never raises, never blocks."""
    try:
        payload = {"name": str(name)[:100], "at": time.time(), "detail": _jsonable(detail or {}),
                   "host": HOST, "pid": os.getpid()}
        with _lock:
            first = payload["name"] not in _latest
            _latest[payload["name"]] = payload
            _dirty_redis.add(payload["name"])
            _dirty_pg.add(payload["name"])
        _ensure_writer()
        if first:
            _wake.set()
    except Exception:  # pragma: no cover - the whole point is never to raise
        _warn("heartbeat %s not recorded", name)


def flush(timeout: float = 3.0) -> None:
    """Write every pending heartbeat now (tests, short-lived commands, exit).

    The writes run in a thread of their own so that they never join (or break)
    a transaction open in the caller's thread.
    """

    def write():
        try:
            with _write_lock:
                _write_redis(force=True)
                _write_pg(force=True)
        except Exception:
            _warn("heartbeat flush failed")

    worker = threading.Thread(target=write, name="arc-heartbeat-flush", daemon=True)
    worker.start()
    worker.join(timeout)


@dataclass
class Heartbeat:
    name: str
    at: float  # epoch seconds
    detail: dict
    host: str
    pid: int | None
    source: str  # "redis" or "database"

    @property
    def kind(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def instance(self) -> str:
        return self.name.split(":", 1)[1] if ":" in self.name else ""

    def age(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.at)


def read_all(*, use_redis: bool = True, use_database: bool = True) -> dict[str, Heartbeat]:
    """Every known heartbeat, the freshest of Redis and PostgreSQL for each name.

    Raises nothing: a source that cannot be read is skipped (health reports the
    source itself separately).
    """
    found: dict[str, Heartbeat] = {}
    sources = []
    if use_redis:
        sources.append(_read_redis)
    if use_database:
        sources.append(_read_pg)
    for read in sources:
        try:
            for hb in read():
                if hb.name not in found or hb.at > found[hb.name].at:
                    found[hb.name] = hb
        except Exception as exc:
            logger.debug("heartbeat source %s unreadable: %s", read.__name__, exc)
    return found


# --- internals -----------------------------------------------------------------------------

def _jsonable(detail: dict) -> dict:
    return json.loads(json.dumps(detail, default=str))


def _warn(message: str, *args) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:  # one line a minute, not one per beat
        _last_warning = now
        logger.warning(message, *args, exc_info=True)


def _ensure_writer() -> None:
    global _writer, _writer_pid
    pid = os.getpid()
    if _writer is not None and _writer_pid == pid and _writer.is_alive():
        return
    with _lock:
        if _writer is not None and _writer_pid == pid and _writer.is_alive():
            return
        _writer_pid = pid
        _writer = threading.Thread(target=_run_writer, name="arc-heartbeat", daemon=True)
        _writer.start()


_redis_client = None
_redis_client_pid = None


def _redis():
    global _redis_client, _redis_client_pid
    if _redis_client is None or _redis_client_pid != os.getpid():
        import redis
        from django.conf import settings

        _redis_client = redis.Redis.from_url(
            settings.REDIS_CACHE_URL, socket_timeout=1.0, socket_connect_timeout=1.0,
            health_check_interval=30,
        )
        _redis_client_pid = os.getpid()
    return _redis_client


_last_redis_write: dict[str, float] = {}
_last_pg_write = 0.0
_redis_failing = False


def _write_redis(force: bool = False) -> None:
    global _redis_failing
    now = time.time()
    with _lock:
        due = [n for n in _dirty_redis if force or now - _last_redis_write.get(n, 0) >= REDIS_INTERVAL]
        payloads = [_latest[n] for n in due]
        _dirty_redis.difference_update(due)
    if not payloads:
        return
    try:
        pipe = _redis().pipeline(transaction=False)
        for payload in payloads:
            pipe.set(KEY_PREFIX + payload["name"], json.dumps(payload), ex=TTL)
            pipe.sadd(NAMES_KEY, payload["name"])
        pipe.execute()
        for payload in payloads:
            _last_redis_write[payload["name"]] = now
        _redis_failing = False
    except Exception:
        _redis_failing = True
        with _lock:
            _dirty_redis.update(p["name"] for p in payloads)
        _warn("heartbeat: Redis unreachable; heartbeats go to PostgreSQL only")


def _write_pg(force: bool = False) -> None:
    global _last_pg_write
    now = time.time()
    interval = 1.0 if _redis_failing else PG_INTERVAL
    if not force and now - _last_pg_write < interval:
        return
    with _lock:
        payloads = [_latest[n] for n in _dirty_pg]
        _dirty_pg.clear()
    if not payloads:
        return
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO arc_heartbeat (name, at, detail, host, pid) "
                "VALUES (%s, to_timestamp(%s), %s::jsonb, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET at = EXCLUDED.at, detail = EXCLUDED.detail, "
                "host = EXCLUDED.host, pid = EXCLUDED.pid WHERE arc_heartbeat.at <= EXCLUDED.at",
                [(p["name"], p["at"], json.dumps(p["detail"]), p["host"][:100], p["pid"]) for p in payloads],
            )
        _last_pg_write = now
        _prune(connection, now)
    except Exception:
        with _lock:
            _dirty_pg.update(p["name"] for p in payloads if p["name"] not in _dirty_pg)
        _warn("heartbeat: PostgreSQL unreachable; heartbeats go to Redis only")
    finally:
        # A write every PG_INTERVAL does not deserve a connection held open
        # (it would also pin a database that tests want to drop).
        _close_thread_connection()


_last_prune = 0.0
PRUNE_AFTER = 86400  # a process name silent for a day is gone (intake names carry a pid)


def _prune(connection, now: float) -> None:
    """Once an hour: forget names that have not beaten for a day, in both stores."""
    global _last_prune
    if now - _last_prune < 3600:
        return
    _last_prune = now
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM arc_heartbeat WHERE at < to_timestamp(%s)", [now - PRUNE_AFTER])
    try:
        client = _redis()
        names = [n.decode() for n in client.smembers(NAMES_KEY)]
        if names:
            gone = [n for n, raw in zip(names, client.mget([KEY_PREFIX + n for n in names]), strict=True)
                    if raw is None]
            if gone:
                client.srem(NAMES_KEY, *gone)
    except Exception:
        pass


def _close_thread_connection() -> None:
    try:
        from django.db import connection

        connection.close()
    except Exception:
        pass


def _run_writer() -> None:
    while True:
        _wake.wait(REDIS_INTERVAL)
        _wake.clear()
        if _writer_pid != os.getpid():  # pragma: no cover - a stale thread after fork
            return
        try:
            with _write_lock:
                _write_redis()
                _write_pg()
        except Exception:
            _warn("heartbeat writer error")


def _read_redis() -> list[Heartbeat]:
    client = _redis()
    names = sorted(n.decode() for n in client.smembers(NAMES_KEY))
    if not names:
        return []
    beats = []
    for raw in client.mget([KEY_PREFIX + n for n in names]):
        if raw is None:
            continue
        p = json.loads(raw)
        beats.append(Heartbeat(p["name"], float(p["at"]), p.get("detail") or {}, p.get("host", ""),
                               p.get("pid"), "redis"))
    return beats


def _read_pg() -> list[Heartbeat]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, extract(epoch FROM at), detail, host, pid FROM arc_heartbeat")
        rows = cursor.fetchall()
    beats = []
    for name, at, detail, host, pid in rows:
        if isinstance(detail, str):
            detail = json.loads(detail)
        beats.append(Heartbeat(name, float(at), detail or {}, host or "", pid, "database"))
    return beats


def forget(name: str) -> None:
    """Remove a heartbeat for good (a decommissioned receiver); raises on failure."""
    from django.db import connection

    client = _redis()
    client.delete(KEY_PREFIX + name)
    client.srem(NAMES_KEY, name)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM arc_heartbeat WHERE name = %s", [name])
    with _lock:
        _latest.pop(name, None)
        _dirty_redis.discard(name)
        _dirty_pg.discard(name)


atexit.register(flush)
