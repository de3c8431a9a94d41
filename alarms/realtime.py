"""Registry of websocket message handlers for the console socket.

Other apps plug their own browser messages into ``ws/console/`` without the
alarms app importing them: VIDEO registers "video.offer" and "video.hangup"
in its AppConfig.ready(). A handler is ``async def handler(consumer, content)``;
``consumer.user`` is the authenticated staff member, ``consumer.send_json``
answers the browser. Handlers authorise what they do themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Handler = Callable[[object, dict], Awaitable[None]]

# Types the console consumer handles itself; nobody may take them over.
RESERVED = frozenset({"heartbeat", "sync", "feed.event", "ws.relay", "session.close"})

_handlers: dict[str, Handler] = {}


def register_ws_handler(message_type: str, handler: Handler) -> None:
    if message_type in RESERVED:
        raise ValueError(f"{message_type!r} is reserved by the console consumer")
    existing = _handlers.get(message_type)
    if existing is not None and existing is not handler:
        raise ValueError(f"a handler is already registered for {message_type!r}")
    _handlers[message_type] = handler


def ws_handler(message_type: str) -> Handler | None:
    return _handlers.get(message_type)


def registered_types() -> list[str]:
    return sorted(_handlers)
