"""The hash of a logbook entry. Anything that changes a stored entry, or
removes or inserts one, breaks the chain at that point.

Two formulas, both binding an entry's content, its time and its predecessor:

- v2 (every entry written now): ``content_hash`` is SHA-256 over a canonical
  JSON of the content (computed by the writer before it takes the chain-head
  lock); the entry's hash is SHA-256 of ``prev_hash|content_hash|created_at``,
  computed by PostgreSQL under the lock (``logbook_append``, migration 0006), so
  that the whole critical section is one statement.
- v1 (entries written before migration 0006): SHA-256 over a canonical JSON of
  the content, the time and the previous hash, computed by the writer.

``entry_matches`` accepts either; a forger still has to recompute every later
hash, which the head hash printed on exports exposes.
"""

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


def timestamp_text(value: dt.datetime) -> str:
    """UTC, microseconds, ``+00:00``: what ``logbook_append`` formats in SQL too."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _content(values: dict) -> dict:
    content = {name: values.get(name) for name in HASHED_FIELDS}
    content["correlation_id"] = str(content["correlation_id"]) if content["correlation_id"] else None
    return content


def _canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_hash(values: dict) -> str:
    """v2: the content alone (no time, no predecessor), computed outside the lock."""
    return hashlib.sha256(_canonical({**_content(values), "v": 2})).hexdigest()


def link_hash(*, prev_hash: str, content: str, created_at: dt.datetime) -> str:
    """v2: the entry's hash, as ``logbook_append`` computes it in SQL."""
    return hashlib.sha256(f"{prev_hash}|{content}|{timestamp_text(created_at)}".encode("ascii")).hexdigest()


def entry_hash(values: dict, *, created_at: dt.datetime, prev_hash: str) -> str:
    """v1: content, time and predecessor in one canonical JSON."""
    content = _content(values)
    content["created_at"] = timestamp_text(created_at)
    content["prev_hash"] = prev_hash
    return hashlib.sha256(_canonical(content)).hexdigest()


def entry_matches(values: dict, *, created_at: dt.datetime, prev_hash: str, stored: str) -> bool:
    if link_hash(prev_hash=prev_hash, content=content_hash(values), created_at=created_at) == stored:
        return True
    return entry_hash(values, created_at=created_at, prev_hash=prev_hash) == stored
