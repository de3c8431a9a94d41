"""The portal's websocket (/ws/portal/): a doorbell for a client's sites.

At connect, the user's customers are read once and the socket joins only
those customers' feed groups (``alarms.feed.customer_group``) and its own
``user.<id>`` group (``session.close`` from ``user_disable``). It never joins
the staff group. Messages carry feed ids only; the browser reads the rows
from /portal/feed/ through the customer-filtered selector.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from alarms.feed import customer_group
from portal import selectors
from portal.services import user_group
from sites.roles import is_staff_member

CLOSE_SESSION_ENDED = 4001
CLOSE_FORBIDDEN = 4003


@database_sync_to_async
def _customer_ids(user) -> list[int]:
    # Clients only: staff follow the centre-wide feed on the console socket.
    if user is None or not user.is_authenticated or not user.is_active or is_staff_member(user):
        return []
    return sorted(set(selectors.client_sites(user).values_list("customer_id", flat=True)))


class PortalConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined: list[str] = []
        customers = await _customer_ids(user)
        if not customers:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.groups_joined = [customer_group(c) for c in customers] + [user_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The browser only listens; resync goes through HTTP (/portal/feed/).
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def feed_event(self, message):
        await self.send_json({"type": "feed.event", "id": int(message.get("id", 0))})

    async def session_close(self, message):
        await self.close(code=CLOSE_SESSION_ENDED)
