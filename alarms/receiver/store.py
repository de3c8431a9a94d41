"""Group commit: the receiver's only path to PostgreSQL.

Frames from every connection go into one queue. A writer thread takes what
is waiting (at once when nothing else is: no timer on the path), up to
``max_batch`` frames, and writes them in ONE transaction: the journal rows
(COPY), their events (COPY), the de-duplication keys (INSERT … ON CONFLICT,
so two receivers on the same database agree), the supervision update
(``sites.services.transmitter_seen``) and a NOTIFY for the intake worker.
Only after COMMIT are the frames handed back to their connections for the
ACK. If the transaction fails, every frame of the batch is reported failed:
the connection sends nothing and closes, and the panel retransmits.

While one batch commits, the next one fills up, so the batch size adapts to
the load by itself.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from django.db import connection
from psycopg import InterfaceError, OperationalError

from alarms.receiver.decide import Record

logger = logging.getLogger(__name__)

SIGNAL_COLUMNS = ("id", "received_at", "receiver", "transport", "peer", "raw", "token", "sequence",
                  "receiver_prefix", "line_prefix", "account", "encrypted", "transmitter_id", "site_id",
                  "outcome", "reason", "reply", "payload", "xdata", "panel_time", "clock_skew_seconds", "flags",
                  "duplicate_of", "process_state", "process_error", "process_attempts")
EVENT_COLUMNS = ("signal_id", "position", "protocol", "code", "qualifier", "raw_qualifier", "category",
                 "priority", "description", "zone", "area", "user_number", "text", "modifiers", "old",
                 "panel_time", "site_id", "disposition")
NOTIFY_CHANNEL = "arc_intake"
SEEN_COALESCE_SECONDS = 1.0
# Rows travel as one JSON parameter parsed by PostgreSQL (json encoding is C on our
# side, parsing is C on theirs): cheaper than client-side array literals, and unlike
# COPY it shares a round trip with the other statements of the batch.
INSERT_SIGNALS = f"""
INSERT INTO alarms_signal ({", ".join(SIGNAL_COLUMNS)})
SELECT (e->>0)::bigint, (e->>1)::timestamptz, %s, e->>2, e->>3, decode(e->>4, 'hex'), e->>5, e->>6, e->>7,
       e->>8, e->>9, (e->>10)::boolean, (e->>11)::bigint, (e->>12)::bigint, e->>13, e->>14, e->>15, e->>16,
       NULLIF(e->17, 'null'::jsonb), (e->>18)::timestamptz, (e->>19)::float8, e->20, (e->>21)::bigint, e->>22,
       '', 0
FROM jsonb_array_elements(%s::jsonb) AS e"""
INSERT_EVENTS = f"""
INSERT INTO alarms_signalevent ({", ".join(EVENT_COLUMNS)})
SELECT (e->>0)::bigint, (e->>1)::int, e->>2, e->>3, e->>4, e->>5, e->>6, (e->>7)::int, e->>8, e->>9, e->>10,
       e->>11, e->>12, e->13, (e->>14)::boolean, e->>15, (e->>16)::bigint, 'pending'
FROM jsonb_array_elements(%s::jsonb) AS e"""


def _json(value) -> str:
    # Raw bytes travel as hex; decoded text never holds NUL (alarms.dc09.message._text).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Writer:
    def __init__(self, *, receiver_name: str, deliver: Callable[[list[Record], bool], None],
                 writers: int = 2, max_batch: int = 500):
        self.receiver_name = receiver_name
        self.deliver = deliver
        self.max_batch = max_batch
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._run, name=f"writer-{i}", daemon=True) for i in range(writers)]
        self.stopping = False
        self.batches = 0
        self.frames = 0
        self.failures = 0
        self.last_commit_at = 0.0
        self.seen_at: dict[int, float] = {}

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def submit(self, record: Record) -> None:
        self.queue.put(record)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping = True
        for _ in self.threads:
            self.queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is None:
                break
            batch = [first]
            stop_after = False
            while len(batch) < self.max_batch:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop_after = True
                    break
                batch.append(item)
            for part, ok in self.write_isolating(batch):
                self.deliver(part, ok)
            if stop_after:
                break
        connection.close()

    def write_isolating(self, batch: list[Record]) -> list[tuple[list[Record], bool]]:
        """Write; if the data itself is refused (not the database being away), retry in
        halves so that one poisoned frame never costs the other panels their ACK."""
        error = self.write(batch)
        if error is None:
            return [(batch, True)]
        if len(batch) == 1 or isinstance(error, (OperationalError, InterfaceError, DjangoOperationalError,
                                                   DjangoInterfaceError)):
            return [(batch, False)]
        middle = len(batch) // 2
        return self.write_isolating(batch[:middle]) + self.write_isolating(batch[middle:])

    def write(self, batch: list[Record]) -> Exception | None:
        try:
            connection.ensure_connection()
            raw = connection.connection  # psycopg 3, autocommit; the transaction is ours
            with raw.cursor() as cursor:
                try:
                    seen = self._write(cursor, batch)
                except BaseException:
                    try:
                        cursor.execute("ROLLBACK")
                    finally:
                        raise
            now = time.monotonic()
            for transmitter_id in seen:
                self.seen_at[transmitter_id] = now
            self.batches += 1
            self.frames += len(batch)
            self.last_commit_at = time.time()
            return None
        except Exception as exc:
            self.failures += 1
            logger.exception("receiver: commit of %d frames failed; no reply, connections closed", len(batch))
            try:
                connection.close()
            except Exception:
                pass
            return exc

    def _write(self, cursor, batch: list[Record]) -> list[int]:
        """Four round trips per batch, whatever its size: BEGIN + ids; de-duplication;
        supervision; journal rows + events + NOTIFY + COMMIT."""
        from sites.services import transmitter_seen

        # Supervision deadlines are minutes to days: a transmitter marked seen by a commit
        # less than SEEN_COALESCE_SECONDS ago is not updated again (one row update per
        # second per busy transmitter instead of one per frame).
        now = time.monotonic()
        seen = sorted({r.transmitter_id for r in batch if r.seen and r.transmitter_id
                       and now - self.seen_at.get(r.transmitter_id, -1e9) >= SEEN_COALESCE_SECONDS})
        # Concurrent writers lock the transmitter rows they update in one order (ascending id)
        # before updating them: without it two batches deadlock and both go unacknowledged.
        cursor.execute("BEGIN; SELECT id FROM sites_transmitter WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE; "
                       "SELECT nextval('alarms_signal_id_seq') FROM generate_series(1, %s)", [seen, len(batch)])
        cursor.nextset()
        cursor.nextset()
        ids = [row[0] for row in cursor.fetchall()]
        for record, signal_id in zip(batch, ids, strict=True):
            record.signal_id = signal_id
            record.duplicate_of = None
        self._dedup(cursor, batch)
        if seen:
            transmitter_seen(transmitter_ids=seen, at=max(r.received_at for r in batch))
        rows = []
        events = []
        notify = False
        for r in batch:
            duplicate = r.duplicate_of is not None
            pending = r.pending and not duplicate
            notify = notify or pending
            rows.append((
                r.signal_id, r.received_at.isoformat(), r.transport, r.peer[:64], r.raw.hex(), r.token[:16],
                r.sequence[:8], r.receiver_prefix[:8], r.line_prefix[:8], r.account[:20], r.encrypted,
                r.transmitter_id, r.site_id, "duplicate" if duplicate else r.outcome, r.reason, r.reply_kind,
                r.payload[:4000], r.xdata, r.panel_time.isoformat() if r.panel_time else None, r.clock_skew,
                r.flags, r.duplicate_of, "pending" if pending else "none"))
            if not pending:
                continue
            for position, e in enumerate(r.events):
                events.append((
                    r.signal_id, position, e["protocol"], e["code"][:8], e["qualifier_name"], e["qualifier"][:2],
                    e["category"], e["priority"], e["description"], e["zone"][:8], e["area"][:8], e["user"][:8],
                    e["text"][:250], e["modifiers"], e["old"], e["panel_time"][:8], r.site_id))
        sql = [INSERT_SIGNALS]
        params = [self.receiver_name, _json(rows)]
        if events:
            sql.append(INSERT_EVENTS)
            params.append(_json(events))
        if notify:
            sql.append(f"NOTIFY {NOTIFY_CHANNEL}")
        sql.append("COMMIT")
        cursor.execute(";\n".join(sql), params)
        return seen

    def _dedup(self, cursor, batch: list[Record]) -> None:
        """Mark retransmissions: same account + sequence + payload within the window,
        in this batch, in the database, or committed meanwhile by another receiver."""
        first_by_key: dict[str, Record] = {}
        candidates = []
        for r in batch:
            if not r.dedup_key or r.outcome != "accepted":
                continue
            if r.dedup_key in first_by_key:
                r.duplicate_of = first_by_key[r.dedup_key].signal_id
                continue
            first_by_key[r.dedup_key] = r
            candidates.append(r)
        if not candidates:
            return
        candidates.sort(key=lambda r: r.dedup_key)  # one lock order: concurrent writers never deadlock
        rows = _json([(r.dedup_key, r.signal_id, r.received_at.isoformat()) for r in candidates])
        # One round trip: insert the new keys (or take over expired ones) and, for keys
        # already there, read the original signal (the statement sees the table as it was).
        cursor.execute(
            "WITH ins AS ("
            " INSERT INTO alarms_signaldedup (key, signal_id, seen_at)"
            " SELECT e->>0, (e->>1)::bigint, (e->>2)::timestamptz FROM jsonb_array_elements(%s::jsonb) AS e"
            " ON CONFLICT (key) DO UPDATE SET signal_id = EXCLUDED.signal_id, seen_at = EXCLUDED.seen_at"
            " WHERE alarms_signaldedup.seen_at < EXCLUDED.seen_at - make_interval(hours => %s)"
            " RETURNING key) "
            "SELECT k.key, d.signal_id FROM (SELECT e->>0 AS key FROM jsonb_array_elements(%s::jsonb) AS e) AS k"
            " LEFT JOIN alarms_signaldedup d ON d.key = k.key"
            " WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.key = k.key)",
            [rows, settings.INTAKE_DEDUP_HOURS, rows])
        original = dict(cursor.fetchall())
        for r in candidates:
            if r.dedup_key in original:
                r.duplicate_of = original[r.dedup_key] or 0
