"""Runaway transmitter: a token bucket per transmitter (Transmitter.signals_per_minute).

A panel stuck in a loop (a flapping zone, a firmware bug) can send hundreds of
signals a minute; past its bucket the signals are still journaled, but they
raise one "runaway transmitter" alarm instead of flooding the queue. The
bucket is a row, so several intake workers share it.
"""

from __future__ import annotations

from alarms.models import TransmitterBucket

BURST_MINUTES = 1.0


def bucket_take(*, transmitter, at) -> bool:
    """Take one token; False when the transmitter is over its rate."""
    rate = max(int(transmitter.signals_per_minute or 0), 1)
    capacity = rate * BURST_MINUTES
    bucket = TransmitterBucket.objects.select_for_update().filter(transmitter=transmitter).first()
    if bucket is None:
        TransmitterBucket.objects.create(transmitter=transmitter, tokens=capacity - 1, updated_at=at)
        return True
    elapsed = max((at - bucket.updated_at).total_seconds(), 0.0)
    tokens = min(capacity, bucket.tokens + elapsed * rate / 60.0)
    allowed = tokens >= 1.0
    if allowed:
        tokens -= 1.0
        if bucket.runaway_since and tokens >= capacity / 2:
            bucket.runaway_since = None
    else:
        bucket.suppressed += 1
        if bucket.runaway_since is None:
            bucket.runaway_since = at
    bucket.tokens = tokens
    bucket.updated_at = at
    bucket.save(update_fields=["tokens", "updated_at", "runaway_since", "suppressed"])
    return allowed
