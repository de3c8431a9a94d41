"""The portal websocket joins only its customers' groups, rings for their
feed events only, and is closed when the user is disabled."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import connections, transaction

from alarms.feed import STAFF_GROUP, feed_record
from alarms.models import Alarm
from portal.consumers import PortalConsumer
from portal.services import user_disable

pytestmark = pytest.mark.django_db(transaction=True)


def _alarm(site) -> Alarm:
    return Alarm.objects.create(site=site, customer=site.customer, category="alarm", priority=2, title="Intrusion")


def _record(alarm, kind="taken"):
    with transaction.atomic():
        return feed_record(alarm=alarm, kind=kind)


async def _connect(user):
    communicator = WebsocketCommunicator(PortalConsumer.as_asgi(), "/ws/portal/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def run(scenario):
    async def wrapped():
        try:
            await scenario()
        finally:  # the consumer's database thread keeps a connection: close it before the DB is dropped
            await sync_to_async(connections.close_all)()

    asyncio.run(wrapped())


def test_client_gets_doorbells_of_its_customer_only(client_a, site_a, site_b):
    alarm_a, alarm_b = _alarm(site_a), _alarm(site_b)

    async def scenario():
        ws, connected, _code = await _connect(client_a)
        assert connected
        event_b = await sync_to_async(_record)(alarm_b)
        event_a = await sync_to_async(_record)(alarm_a)
        message = await ws.receive_json_from(timeout=5)
        assert message == {"type": "feed.event", "id": event_a.pk}
        assert event_b.pk != event_a.pk
        assert await ws.receive_nothing(timeout=0.3)
        # Staff broadcasts never reach a client socket.
        await get_channel_layer().group_send(STAFF_GROUP, {"type": "feed.event", "id": 999})
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_anonymous_and_installer_only_sockets_are_refused(installer_a):
    async def scenario():
        for user in (AnonymousUser(), installer_a):
            _ws, connected, _code = await _connect(user)
            assert not connected

    run(scenario)


def test_disabling_a_user_closes_their_open_socket(client_a, supervisor, site_a):
    async def scenario():
        ws, connected, _code = await _connect(client_a)
        assert connected
        await sync_to_async(user_disable)(user=client_a, by=supervisor)
        output = await ws.receive_output(timeout=5)
        assert output["type"] == "websocket.close" and output["code"] == 4001

    run(scenario)
