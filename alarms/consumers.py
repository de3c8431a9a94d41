"""The console websocket, ``ws/console/``.

Who may connect and which groups a socket joins are decided once, at
connect: staff only (anonymous users, clients and installers are refused),
joining the staff feed group and the user's own group. The channel layer is
a doorbell: a push only says "event N happened"; the process's feed pump
reads the rows from PostgreSQL and this socket forwards them. The browser
keeps its cursor and resyncs over HTTP on connect, on a gap and periodically
(docs/console.md).

The server never closes an idle socket: the browser's heartbeat (every 20 s)
refreshes the operator's presence and lets the browser detect a dead link.
No database writes here: actions go through the HTTP views and services.
"""

from __future__ import annotations

import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from alarms.feed import STAFF_GROUP
from alarms.presence import apresence_touch
from alarms.pump import pump
from alarms.realtime import ws_handler
from sites.roles import is_staff_member

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4401


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


@database_sync_to_async
def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and is_staff_member(user))


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    user = None
    joined: tuple[str, ...] = ()

    async def connect(self):
        user = self.scope.get("user")
        if not await _is_staff(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.joined = (STAFF_GROUP, user_group(user.pk))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self._pump = pump()
        self._pump.subscribe(self._deliver)
        try:
            await apresence_touch(user.pk, active_at=time.time())
        except Exception:
            logger.warning("presence not recorded (cache down?)", exc_info=True)
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code):
        if self.user is not None:
            self._pump.unsubscribe(self._deliver)
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _deliver(self, events: list[dict]) -> None:
        await self.send_json({"type": "events", "events": events})

    # --- from the browser ---------------------------------------------------------
    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or self.user is None:
            return
        kind = content.get("type")
        if kind == "heartbeat":
            active = content.get("active")
            try:
                await apresence_touch(self.user.pk,
                                      active_at=float(active) if active is not None else None)
            except (TypeError, ValueError):
                pass
            except Exception:
                logger.warning("presence not recorded (cache down?)", exc_info=True)
            await self.send_json({"type": "heartbeat", "at": time.time()})
            return
        handler = ws_handler(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_json({"type": "error", "error": "unknown message type", "for": kind})
            return
        try:
            await handler(self, content)
        except Exception:
            logger.exception("websocket handler for %r failed", kind)
            await self.send_json({"type": "error", "error": "handler failed", "for": kind})

    # --- from the channel layer ---------------------------------------------------
    async def feed_event(self, message):
        """The doorbell: pass the id on, and poke the pump to read the row."""
        event_id = message.get("id")
        await self.send_json({"type": "feed.event", "id": event_id})
        self._pump.poke(event_id if isinstance(event_id, int) else None)

    async def ws_relay(self, message):
        """Another app's message for this browser (e.g. VIDEO's WebRTC answer), as-is."""
        payload = message.get("payload")
        if isinstance(payload, dict):
            await self.send_json(payload)

    async def session_close(self, message):
        """The user was disabled or logged out elsewhere (PORTAL)."""
        await self.close(code=CLOSE_SESSION_ENDED)
