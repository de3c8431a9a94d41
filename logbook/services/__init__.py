"""Writers of the logbook. Every service of every app calls ``entry_append``
inside its own transaction, as the last write before commit (the chain head
lock is held until that commit, so the shorter the rest, the better)."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction

from logbook.chain import GENESIS, content_hash
from logbook.context import current_correlation
from logbook.models import ActorKind, Category, ChainHead, LogEntry

logger = logging.getLogger(__name__)

SYSTEM_NAME = "ARC"
# Asynchronous commit + wait for the flush after the lock (see entries_append).
# Only bench/logbook.py turns it off, to measure the difference.
ASYNC_COMMIT = True


def _ref(obj) -> tuple[int | None, str]:
    if obj is None:
        return None, ""
    if isinstance(obj, tuple):
        return obj[0], str(obj[1])[:250]
    return obj.pk, str(obj)[:250]


def _json(value: Any) -> Any:
    # Normalise through JSON once, so that the hash is computed over exactly
    # what PostgreSQL stores and returns (dates, decimals, UUIDs as text).
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass
class Entry:
    """What a service asks to append; see ``entry_append`` for the fields."""

    action: str
    message: str
    category: str = Category.SYSTEM
    actor: Any = None
    actor_name: str | None = None
    actor_kind: str | None = None
    customer: Any = None
    site: Any = None
    alarm: Any = None
    intervention: Any = None
    old: Any = None
    new: Any = None
    correlation_id: uuid.UUID | None = None
    corrects: Any = None
    extra: dict = field(default_factory=dict)

    def values(self) -> dict:
        if self.actor is not None and getattr(self.actor, "is_authenticated", False):
            actor_kind = self.actor_kind or ActorKind.USER
            actor_id = self.actor.pk
            actor_name = self.actor_name or (self.actor.get_full_name() or self.actor.get_username())
        else:
            actor_kind = self.actor_kind or ActorKind.SYSTEM
            actor_id = None
            actor_name = self.actor_name or SYSTEM_NAME
        customer_id, customer_label = _ref(self.customer)
        site_id, site_label = _ref(self.site)
        alarm_id, alarm_label = _ref(self.alarm)
        intervention_id, intervention_label = _ref(self.intervention)
        corrects_id = self.corrects.pk if hasattr(self.corrects, "pk") else self.corrects
        return {
            "actor_kind": str(actor_kind),
            "actor_id": actor_id,
            "actor_name": actor_name[:150],
            "action": self.action[:64],
            "category": str(self.category),
            "customer_id": customer_id,
            "customer_label": customer_label[:200],
            "site_id": site_id,
            "site_label": site_label,
            "alarm_id": alarm_id,
            "alarm_label": alarm_label,
            "intervention_id": intervention_id,
            "intervention_label": intervention_label,
            "message": self.message,
            "old_values": _json(self.old),
            "new_values": _json(self.new),
            "correlation_id": self.correlation_id or current_correlation() or uuid.uuid4(),
            "corrects_id": corrects_id,
        }


# A transaction with an xid and synchronous commit: it returns once the WAL is on disk
# up to its own commit record, hence past every earlier commit.
FLUSH_WAIT_SQL = "BEGIN; SET LOCAL synchronous_commit = on; SELECT txid_current(); COMMIT"


def _wait_for_wal_flush() -> None:
    """After an asynchronous commit: return only once the commit is on disk.

    A transaction with an xid and synchronous_commit on flushes the WAL up to
    its own commit record, which lies after ours. Many writers waiting here
    share one fsync (PostgreSQL's group commit), which the chain head lock
    would otherwise forbid.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute(FLUSH_WAIT_SQL)
    except DatabaseError:  # the WAL writer flushes within wal_writer_delay anyway
        logger.warning("logbook: could not wait for the WAL flush after an asynchronous commit", exc_info=True)


def _flush_after_commit() -> None:
    # Once per transaction, however many appends it makes.
    if not any(func is _wait_for_wal_flush for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(_wait_for_wal_flush)


class _Deferred:
    """Entries collected by ``deferred_appends`` instead of being written at once."""

    def __init__(self):
        self.entries: list[Entry] = []

    def mark(self) -> int:
        return len(self.entries)

    def rollback_to(self, mark: int) -> None:
        del self.entries[mark:]


_deferred: contextvars.ContextVar[_Deferred | None] = contextvars.ContextVar("arc_logbook_deferred", default=None)


@contextlib.contextmanager
def deferred_appends():
    """Within the block, ``entries_append`` collects instead of writing; the
    whole collection is appended under ONE lock of the chain head when the
    block ends (inside the caller's transaction, which must enclose the block).

    For batch writers (the intake worker draining a backlog): one chain-head
    lock and one WAL flush per batch instead of one per signal. A caller that
    rolls back part of its work (a savepoint) calls ``rollback_to(mark())`` on
    the yielded collector so that the entries of the undone part go too.
    Entries returned by ``entries_append`` inside the block are not saved yet.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_appends() must run inside a transaction")
    collector = _Deferred()
    token = _deferred.set(collector)
    try:
        yield collector
    finally:
        _deferred.reset(token)
    entries_append(collector.entries)


def deferred_pending() -> list[Entry]:
    """Entries collected by the enclosing ``deferred_appends`` block, not yet
    written (for "once per …" checks that would otherwise miss them)."""
    collector = _deferred.get()
    return list(collector.entries) if collector is not None else []


def entries_append(entries: list[Entry]) -> list[LogEntry]:
    """Append several entries under one lock of the chain head.

    The lock is held until the caller's transaction commits, so the chain
    never forks. To keep that critical section short, the transaction commits
    asynchronously (``synchronous_commit = off``: the lock goes as soon as the
    commit record is in the WAL buffers, not after the fsync) and an on-commit
    hook then waits for the flush before the caller's ``atomic()`` returns. A
    crash can only lose the tail of the WAL, never an entry without its
    predecessor (the WAL is sequential), and nothing after the caller's block
    (an ACK to a panel, a reply to the browser) runs before the flush.

    The critical section is one statement, ``logbook_append`` (migration 0006):
    it locks the head, links and inserts the entries and moves the head; the
    content hashes are computed here before it. Called outside any transaction,
    the append, its commit and the flush wait travel in one message.
    """
    if not entries:
        return []
    collector = _deferred.get()
    if collector is not None:
        collector.entries.extend(entries)
        return [LogEntry(**spec.values()) for spec in entries]
    # Everything that needs no lock is done before taking it, the content hashes too:
    # the critical section is the one statement of logbook_append (migration 0006).
    prepared = [spec.values() for spec in entries]
    payload = json.dumps([{**values, "correlation_id": str(values["correlation_id"]),
                           "content_hash": content_hash(values)} for values in prepared],
                         ensure_ascii=False, cls=DjangoJSONEncoder)
    sync = "off" if ASYNC_COMMIT else "on"
    if not connection.in_atomic_block and connection.get_autocommit():
        linked = _append_standalone(payload, sync)
        if linked is None:  # first use on a database whose head row went missing
            ChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
            return entries_append(entries)
        return _built(linked, prepared)
    # No savepoint: an append that fails must fail the caller's use case anyway,
    # and RELEASE SAVEPOINT would be one more round trip under the lock.
    with transaction.atomic(savepoint=False):
        if ASYNC_COMMIT:
            _flush_after_commit()
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM logbook_append(%s::jsonb, %s)", [payload, sync])
            linked = cursor.fetchall()
        if not linked:  # first use on a database whose head row went missing
            ChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
            return entries_append(entries)
    return _built(linked, prepared)


def _append_standalone(payload: str, sync: str) -> list | None:
    """Outside any transaction: the append is its own transaction, sent with its
    commit (and, after an asynchronous commit, the wait for the WAL flush) in ONE
    message, so the chain head is held only for the server's own work: no round
    trip, no client scheduling inside the critical section. Returns None if the
    head row is missing."""
    flush = f"; {FLUSH_WAIT_SQL}" if sync == "off" else ""
    with connection.cursor() as cursor:
        try:
            cursor.execute(f"BEGIN; SELECT * FROM logbook_append(%s::jsonb, %s); COMMIT{flush}", [payload, sync])
            cursor.nextset()
            linked = cursor.fetchall()
        except BaseException:
            with contextlib.suppress(DatabaseError):
                cursor.execute("ROLLBACK")
            raise
    return linked or None


def _built(linked: list, prepared: list[dict]) -> list[LogEntry]:
    created = []
    for (pk, created_at, prev_hash, digest), values in zip(linked, prepared, strict=True):
        entry = LogEntry(id=pk, created_at=created_at, prev_hash=prev_hash, hash=digest, **values)
        entry._state.adding = False
        entry._state.db = connection.alias
        created.append(entry)
    return created


def entry_append(**kwargs) -> LogEntry:
    """Append one entry. Keyword arguments: action, message, category, actor
    (a user) or actor_name (a process), customer, site, alarm, intervention
    (model instances or ``(id, label)`` tuples), old and new (JSON-able
    values), correlation_id, corrects (the entry this one corrects)."""
    return entries_append([Entry(**kwargs)])[0]


def manual_entry_create(*, author, category: str, message: str, customer=None, site=None,
                        alarm=None) -> LogEntry:
    """The operator's own main courante line (a call, advice, a visitor…)."""
    message = (message or "").strip()
    if not message:
        raise ValueError("empty message")
    return entry_append(action="manual", category=category, message=message, actor=author,
                        customer=customer, site=site, alarm=alarm)


def entry_correct(*, author, entry: LogEntry, message: str) -> LogEntry:
    """A correction is a new entry pointing to the one it corrects."""
    message = (message or "").strip()
    if not message:
        raise ValueError("empty message")
    return entry_append(
        action="correction", category=Category.CORRECTION, message=message, actor=author,
        customer=(entry.customer_id, entry.customer_label) if entry.customer_id else None,
        site=(entry.site_id, entry.site_label) if entry.site_id else None,
        alarm=(entry.alarm_id, entry.alarm_label) if entry.alarm_id else None,
        corrects=entry.pk, old={"message": entry.message}, new={"message": message},
    )
