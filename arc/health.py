"""The centre's health: what a supervisor must know at a glance (DESIGN.md:
"not knowing the centre is degraded" is what a supervisor must never suffer).

``centre_health()`` runs every check and returns

    {"status": "ok" | "degraded" | "down",
     "checked_at": "...",
     "checks": {"database": {"status": ..., ...}, "redis": {...}, "receivers": {...},
                "intake": {...}, "timers": {...}, "video": {...}},
     "problems": ["Récepteur rx2 : hors service depuis 42 s", ...]}

``down`` means the centre cannot do its job (database unreachable, or no
receiver alive); ``degraded`` means it works with a fault an operator or a
technician must know about (one receiver lost, Redis down so consoles poll,
timers late, intake backlog, video service silent).

Sources: the heartbeats of arc/heartbeat.py (Redis, PostgreSQL fallback) and,
where PostgreSQL holds the truth, the signal journal itself (the last frame
each receiver committed, the pending intake backlog). arc imports no app, so
those are read with SQL on the ``alarms_signal`` table.

The result is cached for ``HEALTH_CACHE_SECONDS`` in the process: 200 consoles
polling every 10 s cost one set of checks every couple of seconds per node.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.conf import settings
from django.db import connection
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from arc import heartbeat

OK, DEGRADED, DOWN = "ok", "degraded", "down"
_RANK = {OK: 0, DEGRADED: 1, DOWN: 2}

_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, dict]] = {}  # language -> (computed at, value)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).isoformat(timespec="seconds")


def _worst(*statuses: str) -> str:
    return max(statuses, key=_RANK.__getitem__, default=OK)


def _epoch(value) -> float | None:
    """A heartbeat detail time: epoch seconds or an ISO 8601 string."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


# --- individual checks -------------------------------------------------------------------
# Each returns (check dict, problems list). None of them raises.

def check_database() -> tuple[dict, list[str]]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        try:
            connection.close()
        except Exception:
            pass
        return ({"status": DOWN, "error": type(exc).__name__},
                [_("Base de données injoignable : la centrale ne peut ni recevoir ni traiter les alarmes")])
    return {"status": OK, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}, []


def check_redis() -> tuple[dict, list[str]]:
    started = time.perf_counter()
    try:
        heartbeat._redis().ping()
    except Exception as exc:
        return ({"status": DEGRADED, "error": type(exc).__name__},
                [_("Redis injoignable : le flux temps réel est coupé, les consoles passent en "
                   "interrogation périodique")])
    return {"status": OK, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}, []


def _journal_last_frames(names: list[str]) -> dict[str, float]:
    """Last committed frame per receiver, from the journal (bounded look-back)."""
    if not names:
        return {}
    window = settings.HEALTH_JOURNAL_LOOKBACK
    found = {}
    with connection.cursor() as cursor:
        for name in names:
            # Bounded by the received_at index: a silent receiver costs a short scan.
            cursor.execute(
                "SELECT extract(epoch FROM max(received_at)) FROM alarms_signal "
                "WHERE receiver = %s AND received_at > now() - make_interval(secs => %s)",
                [name, window],
            )
            row = cursor.fetchone()
            if row and row[0] is not None:
                found[name] = float(row[0])
    return found


def check_receivers(beats: dict, database_ok: bool, now: float) -> tuple[dict, list[str]]:
    stale = settings.HEALTH_RECEIVER_STALE
    expected = list(settings.HEALTH_RECEIVERS)
    seen = {hb.instance or hb.name: hb for hb in beats.values() if hb.kind == "receiver"}
    if not expected:
        # Not configured: every receiver that beat in the last day is expected.
        expected = sorted(n for n, hb in seen.items() if hb.age(now) < 86400)
    journal = {}
    if database_ok:
        try:
            journal = _journal_last_frames(expected)
        except Exception:
            journal = {}
    receivers, problems, alive = {}, [], 0
    for name in expected:
        hb = seen.get(name)
        last_frame = None
        if hb is not None:
            last_frame = _epoch(hb.detail.get("last_frame_at"))
        if name in journal and (last_frame is None or journal[name] > last_frame):
            last_frame = journal[name]
        entry = {"last_frame_at": _iso(last_frame),
                 "last_frame_age": round(now - last_frame, 1) if last_frame else None}
        if hb is None:
            entry.update(status=DOWN, heartbeat_age=None)
            problems.append(_("Récepteur %(name)s : aucun signe de vie") % {"name": name})
        elif hb.age(now) > stale:
            entry.update(status=DOWN, heartbeat_age=round(hb.age(now), 1), host=hb.host)
            problems.append(_("Récepteur %(name)s : hors service depuis %(age)d s")
                            % {"name": name, "age": hb.age(now)})
        else:
            alive += 1
            entry.update(status=OK, heartbeat_age=round(hb.age(now), 1), host=hb.host,
                         port=hb.detail.get("port"))
        receivers[name] = entry
    if not expected:
        status = DOWN if "receiver" in settings.HEALTH_EXPECT else OK
        if status == DOWN:
            problems.append(_("Aucun récepteur en service : les transmetteurs ne sont pas acquittés"))
    elif alive == 0:
        status = DOWN
        problems.append(_("Aucun récepteur en service : les transmetteurs ne sont pas acquittés"))
    elif alive < len(expected):
        status = DEGRADED
    else:
        status = OK
    silence = settings.HEALTH_FRAME_SILENCE
    frames = [r["last_frame_age"] for r in receivers.values() if r["last_frame_age"] is not None]
    newest = min(frames) if frames else None
    if status != DOWN and silence and expected and (newest is None or newest > silence):
        # Panels poll every few minutes at most: a silent centre has lost its network path.
        status = _worst(status, DEGRADED)
        problems.append(_("Aucune trame reçue depuis plus de %(s)d s (réseau des transmetteurs ?)")
                        % {"s": silence})
    return {"status": status, "alive": alive, "expected": len(expected), "receivers": receivers}, problems


def check_intake(beats: dict, database_ok: bool, now: float) -> tuple[dict, list[str]]:
    problems = []
    workers = [hb for hb in beats.values() if hb.kind == "intake" and hb.age(now) <= settings.HEALTH_INTAKE_STALE]
    result = {"status": OK, "workers": len(workers)}
    if "intake" in settings.HEALTH_EXPECT and not workers:
        result["status"] = DEGRADED
        problems.append(_("Aucun processus d'intégration actif : les signaux reçus ne deviennent pas "
                          "des alarmes"))
    if database_ok:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*), extract(epoch FROM min(received_at)) FROM alarms_signal "
                               "WHERE process_state = 'pending'")
                pending, oldest = cursor.fetchone()
        except Exception as exc:
            result.update(status=_worst(result["status"], DEGRADED), error=type(exc).__name__)
            return result, problems
        age = round(now - float(oldest), 1) if oldest is not None else 0.0
        result.update(pending=pending, oldest_pending_age=age)
        if pending and age > settings.HEALTH_BACKLOG_AGE:
            result["status"] = DEGRADED
            problems.append(_("%(n)d signaux en attente d'intégration, le plus ancien depuis %(age)d s")
                            % {"n": pending, "age": age})
    return result, problems


def _check_beat(kind: str, beats: dict, now: float, stale: float, missing: str, late: str) -> tuple[dict, list]:
    found = [hb for hb in beats.values() if hb.kind == kind]
    if not found:
        if kind not in settings.HEALTH_EXPECT:
            return {"status": OK, "expected": False}, []
        return {"status": DEGRADED, "last_beat_at": None}, [missing]
    hb = max(found, key=lambda h: h.at)
    entry = {"last_beat_at": _iso(hb.at), "age": round(hb.age(now), 1), "host": hb.host}
    if hb.age(now) > stale:
        entry["status"] = DEGRADED
        return entry, [late % {"age": hb.age(now)}]
    entry["status"] = OK
    return entry, []


def check_timers(beats: dict, now: float) -> tuple[dict, list[str]]:
    return _check_beat(
        "timers", beats, now, settings.HEALTH_TIMER_STALE,
        _("Minuteries arrêtées : escalades, rappels et supervision des transmetteurs ne partent plus"),
        _("Minuteries en retard de %(age)d s : escalades et supervision des transmetteurs retardées"),
    )


def check_video(beats: dict, now: float) -> tuple[dict, list[str]]:
    return _check_beat(
        "video", beats, now, settings.HEALTH_VIDEO_STALE,
        _("Service vidéo absent : ni levée de doute vidéo ni enregistrement des séquences"),
        _("Service vidéo silencieux depuis %(age)d s : levée de doute vidéo indisponible"),
    )


# --- the whole picture ----------------------------------------------------------------------

def centre_health(*, use_cache: bool = True) -> dict:
    now = time.time()
    language = get_language() or settings.LANGUAGE_CODE  # problems are translated
    if use_cache:
        with _cache_lock:
            cached = _cache.get(language)
            if cached is not None and now - cached[0] < settings.HEALTH_CACHE_SECONDS:
                return cached[1]
    database, problems = check_database()
    database_ok = database["status"] == OK
    redis_check, redis_problems = check_redis()
    problems += redis_problems
    beats = heartbeat.read_all(use_redis=redis_check["status"] == OK, use_database=database_ok)
    checks = {"database": database, "redis": redis_check}
    for name, (check, found) in {
        "receivers": check_receivers(beats, database_ok, now),
        "intake": check_intake(beats, database_ok, now),
        "timers": check_timers(beats, now),
        "video": check_video(beats, now),
    }.items():
        checks[name] = check
        problems += found
    status = _worst(*(c["status"] for c in checks.values()))
    value = {"status": status, "checked_at": _iso(now), "checks": checks, "problems": problems}
    with _cache_lock:
        _cache[language] = (now, value)
    return value


def public_view(health: dict) -> dict:
    """What anybody may read (load balancers, monitoring): statuses, no details."""
    return {"status": health["status"], "checked_at": health["checked_at"],
            "checks": {name: {"status": c["status"]} for name, c in health["checks"].items()}}


def reset_cache() -> None:
    with _cache_lock:
        _cache.clear()
