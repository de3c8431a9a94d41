"""The console websocket through the real ASGI stack (origin validator, session
auth), a real Redis channel layer and real PostgreSQL."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from alarms.feed import STAFF_GROUP
from alarms.presence import presence_of
from alarms.realtime import _handlers, register_ws_handler
from arc.asgi import application
from tests.console.factories import make_alarm

ORIGIN = (b"origin", b"http://127.0.0.1")


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _socket(user=None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [origin, (b"host", b"127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", _cookie(user)))
    return WebsocketCommunicator(application, "/ws/console/", headers=headers)


async def _next_of(socket, kind: str, timeout: float = 10) -> dict:
    # A bound on waiting, not a latency target (bench/console_latency.py measures that).
    while True:
        message = await socket.receive_json_from(timeout=timeout)
        if message.get("type") == kind:
            return message


def run(coro_fn):
    async_to_sync(coro_fn)()


@pytest.mark.django_db(transaction=True)
def test_anonymous_and_foreign_origin_are_refused(operator):
    async def scenario():
        anonymous = _socket()
        connected, code = await anonymous.connect()
        assert not connected and code == 4403
        foreign = _socket(operator, origin=(b"origin", b"http://evil.example"))
        connected, _code = await foreign.connect()
        assert not connected
    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_clients_websocket_never_receives_a_staff_event(client_a, site_a, operator):
    async def scenario():
        staff = _socket(operator)
        assert (await staff.connect())[0]
        await _next_of(staff, "hello")
        client = _socket(client_a)
        connected, code = await client.connect()
        assert not connected and code == 4403
        alarm = await sync_to_async(make_alarm)(site_a, title="Intrusion entrepôt")
        pushed = await _next_of(staff, "events")
        assert [e["alarm_id"] for e in pushed["events"]] == [alarm.pk]
        assert pushed["events"][0]["alarm"]["title"] == "Intrusion entrepôt"
        assert await client.receive_nothing(timeout=0.5)
        await staff.disconnect()
    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_doorbell_then_rows_for_every_staff_socket(site_a, operator, operator2):
    async def scenario():
        sockets = [_socket(operator), _socket(operator2)]
        for s in sockets:
            assert (await s.connect())[0]
            await _next_of(s, "hello")
        alarms = [await sync_to_async(make_alarm)(site_a, title=f"A{i}") for i in range(3)]
        for s in sockets:
            got = set()
            while len(got) < 3:
                message = await _next_of(s, "events")
                got |= {e["alarm_id"] for e in message["events"]}
            assert got == {a.pk for a in alarms}
            await s.disconnect()
    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_session_close_relay_handlers_and_heartbeat(operator):
    calls = []

    async def echo(consumer, content):
        calls.append((consumer.user.pk, content))
        await consumer.send_json({"type": "test.echoed", "n": content.get("n")})

    register_ws_handler("test.echo", echo)
    with pytest.raises(ValueError):
        register_ws_handler("heartbeat", echo)

    async def scenario():
        socket = _socket(operator)
        assert (await socket.connect())[0]
        await _next_of(socket, "hello")
        await socket.send_json_to({"type": "test.echo", "n": 7})
        assert (await _next_of(socket, "test.echoed"))["n"] == 7
        await socket.send_json_to({"type": "nope"})
        assert (await _next_of(socket, "error"))["for"] == "nope"
        await socket.send_json_to({"type": "heartbeat", "active": 1.0})
        await _next_of(socket, "heartbeat")
        layer = get_channel_layer()
        await layer.group_send(f"user.{operator.pk}", {"type": "ws.relay", "payload": {"type": "video.answer",
                                                                                       "sdp": "x"}})
        assert (await _next_of(socket, "video.answer"))["sdp"] == "x"
        await layer.group_send(f"user.{operator.pk}", {"type": "session.close"})
        closed = await socket.receive_output(timeout=3)
        assert closed["type"] == "websocket.close" and closed["code"] == 4401
    try:
        run(scenario)
    finally:
        _handlers.pop("test.echo", None)
    assert calls and calls[0][0] == operator.pk
    presence = presence_of(operator.pk)
    assert presence is not None and presence["active"] == 1.0
    assert STAFF_GROUP == "feed.staff"
