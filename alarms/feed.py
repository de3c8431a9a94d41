"""The alarm feed: write an AlarmEvent row, ring the doorbell after commit.

PostgreSQL is the truth; the channel layer only tells consoles "event N
happened", and only once the row is committed (a push before commit would
send browsers to read a row that may never exist). ``feed_record`` is the
one way to do it; ``_ring_now_unsafe`` is the raw sender and must not be
called from inside a transaction.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from alarms.models import Alarm, AlarmEvent

logger = logging.getLogger(__name__)

STAFF_GROUP = "feed.staff"


def customer_group(customer_id: int) -> str:
    return f"feed.customer.{customer_id}"


def feed_record(*, alarm: Alarm | None, kind: str, actor=None, actor_name: str = "",
                data: dict | None = None) -> AlarmEvent:
    """Write one feed row in the caller's transaction; push its id after commit."""
    if actor is not None and not actor_name:
        actor_name = actor.get_full_name() or actor.get_username()
    event = AlarmEvent.objects.create(
        alarm=alarm, kind=kind, actor=actor, actor_name=actor_name[:150], data=data or {},
        site_id_copy=alarm.site_id if alarm else None,
        customer_id_copy=alarm.customer_id if alarm else None,
    )
    ring_on_commit(event.pk, event.customer_id_copy)
    return event


def ring_on_commit(event_id: int, customer_id: int | None) -> None:
    transaction.on_commit(lambda: _ring_now_unsafe(event_id, customer_id))


def _ring_now_unsafe(event_id: int, customer_id: int | None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "feed.event", "id": event_id}
    try:
        send = async_to_sync(layer.group_send)
        send(STAFF_GROUP, message)
        if customer_id:
            send(customer_group(customer_id), message)
    except Exception:  # the doorbell failing never fails the action: consoles poll
        logger.warning("feed push of event %s failed; consoles will catch up by polling", event_id,
                       exc_info=True)
