"""Who is at a console: each console websocket refreshes a short-lived key in
Redis (the cache) on connect and on every heartbeat, with the time of the
operator's last keyboard or mouse activity.

An alarm taken by someone with no live console, or idle for too long, is
"abandoned": another operator may take it over, after a warning
(alarms/services/lifecycle.py ``alarm_take(force=True)``).
"""

from __future__ import annotations

import time

from django.core.cache import cache

# A console sends a heartbeat every 20 s; three missed beats and it is gone.
PRESENCE_TTL = 65
# No keyboard or mouse activity for this long: the console is unattended.
IDLE_SECONDS = 10 * 60


def _key(user_id: int) -> str:
    return f"console.presence.{user_id}"


def _value(active_at: float | None, previous: dict | None) -> dict:
    now = time.time()
    active = active_at if active_at is not None else (previous or {}).get("active", now)
    return {"seen": now, "active": min(float(active), now)}


def presence_touch(user_id: int, *, active_at: float | None = None) -> None:
    cache.set(_key(user_id), _value(active_at, cache.get(_key(user_id))), PRESENCE_TTL)


async def apresence_touch(user_id: int, *, active_at: float | None = None) -> None:
    previous = await cache.aget(_key(user_id))
    await cache.aset(_key(user_id), _value(active_at, previous), PRESENCE_TTL)


def presence_of(user_id: int | None) -> dict | None:
    if not user_id:
        return None
    try:
        return cache.get(_key(user_id))
    except Exception:  # Redis down: say "unknown", never block the operator
        return None


def is_abandoned(user_id: int | None) -> bool:
    """True when the user has no live console or has been idle for IDLE_SECONDS."""
    presence = presence_of(user_id)
    if presence is None:
        return True
    return time.time() - presence.get("active", 0) > IDLE_SECONDS
