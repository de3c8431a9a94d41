"""The hash of a logbook entry: SHA-256 over a canonical JSON of its content
and the previous entry's hash. Anything that changes a stored entry, or
removes or inserts one, breaks the chain at that point."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

GENESIS = "0" * 64

HASHED_FIELDS = (
    "actor_kind", "actor_id", "actor_name", "action", "category",
    "customer_id", "customer_label", "site_id", "site_label",
    "alarm_id", "alarm_label", "intervention_id", "intervention_label",
    "message", "old_values", "new_values", "correlation_id", "corrects_id",
)


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(values: dict, *, created_at: dt.datetime, prev_hash: str) -> str:
    content = {name: values.get(name) for name in HASHED_FIELDS}
    content["correlation_id"] = str(content["correlation_id"]) if content["correlation_id"] else None
    content["created_at"] = _timestamp(created_at)
    content["prev_hash"] = prev_hash
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
