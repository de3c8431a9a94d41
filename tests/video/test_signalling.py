"""The console socket's video handlers: authorise, log the view, hand the
offer to the video service through the real channel layer (Redis)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections

from video.models import Camera, ViewLog
from video.realtime import on_hangup, on_offer

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"


class FakeConsole:
    """What the handlers use of the console consumer: user, channel, send_json."""

    def __init__(self, user, layer):
        self.user = user
        self.channel_layer = layer
        self.channel_name = "console.test!abc"
        self.sent: list[dict] = []

    async def send_json(self, content):
        self.sent.append(content)


@pytest.mark.django_db(transaction=True)
def test_offer_is_authorised_logged_and_relayed(site_a, operator, client_a):
    camera = Camera.objects.create(site=site_a, name="Entrée", source_kind="file", url="/nonexistent")

    async def scenario():
        layer = get_channel_layer()
        service = await layer.new_channel("video.")
        await layer.group_add(settings.VIDEO_SERVICE_GROUP, service)
        console = FakeConsole(operator, layer)
        await on_offer(console, {"type": "video.offer", "session": "abc123", "camera": camera.pk, "sdp": SDP})
        message = await asyncio.wait_for(layer.receive(service), 5)
        assert message["type"] == "video.offer" and message["camera"] == camera.pk
        assert message["reply"] == console.channel_name and message["session"] == f"u{operator.pk}-abc123"
        assert message["client_session"] == "abc123"
        await on_offer(console, {"type": "video.offer", "session": "abc124", "camera": camera.pk + 99, "sdp": SDP})
        await on_offer(console, {"type": "video.offer", "session": "x", "camera": camera.pk, "sdp": SDP})
        await on_offer(console, {"type": "video.offer", "session": "abc125", "camera": camera.pk, "sdp": "nope"})
        assert [m["error"] for m in console.sent] == ["forbidden", "bad_request", "bad_request"]
        # A client without a video contract (were it ever to reach the handler) is refused too.
        outsider = FakeConsole(client_a, layer)
        await on_offer(outsider, {"type": "video.offer", "session": "abc126", "camera": camera.pk, "sdp": SDP})
        assert outsider.sent[0]["error"] == "forbidden"
        await on_hangup(console, {"type": "video.hangup", "session": "abc123"})
        hangup = await asyncio.wait_for(layer.receive(service), 5)
        assert hangup == {"type": "video.hangup", "session": f"u{operator.pk}-abc123"}
        await layer.group_discard(settings.VIDEO_SERVICE_GROUP, service)
        await database_sync_to_async(connections.close_all)()  # the handlers' thread's connection

    asyncio.run(scenario())
    views = list(ViewLog.objects.all())
    assert len(views) == 1 and views[0].user == operator and views[0].ended_at is not None


def test_handlers_are_registered_on_the_console_socket():
    from alarms.panels import registered_panels
    from alarms.realtime import ws_handler

    assert ws_handler("video.offer") is on_offer and ws_handler("video.hangup") is on_hangup
    assert any(p.name == "video" and p.url_name == "video:alarm_panel" for p in registered_panels())


