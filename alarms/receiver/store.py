"""Group commit: the receiver's only path to PostgreSQL.

Frames from every connection go into one queue. A writer thread takes what
is waiting (at once when nothing else is: no timer on the path), up to
``max_batch`` frames, and writes them in ONE transaction sent in ONE round
trip (psycopg pipeline mode): BEGIN, the supervision update when due, one
prepared statement that numbers the frames, checks their de-duplication keys
(INSERT … ON CONFLICT, so two receivers on the same database agree) and
inserts the journal rows and their events, a NOTIFY for the intake worker,
and COMMIT. Only after COMMIT are the frames handed back to their connections
for the ACK. If the transaction fails, every frame of the batch is reported
failed: the connection sends nothing and closes, and the panel retransmits.

While one batch commits, the next one fills up, so the batch size adapts to
the load by itself. The batch travels as two JSON parameters (orjson here,
``json_to_recordset`` there: no SQL text to build or escape), and the statement
is prepared once per connection (no planning per batch).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import orjson
import psycopg
from django.conf import settings
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from django.db import connection
from psycopg import InterfaceError, OperationalError

from alarms.receiver.decide import Record

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "arc_intake"
SEEN_COALESCE_SECONDS = 1.0

# One statement per batch. ``input`` numbers the frames in arrival order (ids grow with
# arrival, and a panel's next frame is only numbered after its previous one committed);
# ``first`` keeps one frame per de-duplication key; ``ins`` claims the keys (or takes
# over expired ones); ``dup`` says, per frame, which signal it repeats: an earlier frame
# of the batch, the one already in the table, or 0 for one committed meanwhile by
# another receiver (the statement's snapshot predates it); then the journal rows and the
# events of the frames left pending go in. Data-modifying CTEs always run to completion.
STORE_SQL = """
WITH input AS MATERIALIZED (
    SELECT nextval('alarms_signal_id_seq') AS id, u.*
    FROM json_to_recordset(%(signals)s::json)
         AS u(ord int, received_at timestamptz, transport text, peer text, raw text, token text, sequence text,
              receiver_prefix text, line_prefix text, account text, encrypted boolean, transmitter_id bigint,
              site_id bigint, outcome text, reason text, reply text, payload text, xdata jsonb,
              panel_time timestamptz, clock_skew float8, flags jsonb, dedup_key uuid, pending boolean)
),
first AS MATERIALIZED (
    SELECT DISTINCT ON (dedup_key) dedup_key, id, received_at FROM input WHERE dedup_key IS NOT NULL
    ORDER BY dedup_key, ord
),
ins AS (
    INSERT INTO alarms_signaldedup (key, signal_id, seen_at)
    SELECT dedup_key, id, received_at FROM first ORDER BY dedup_key  -- one lock order for all writers
    ON CONFLICT (key) DO UPDATE SET signal_id = EXCLUDED.signal_id, seen_at = EXCLUDED.seen_at
    WHERE alarms_signaldedup.seen_at < EXCLUDED.seen_at - make_interval(hours => %(dedup_hours)s)
    RETURNING key
),
dup AS MATERIALIZED (
    SELECT i.ord,
           CASE WHEN f.id <> i.id THEN f.id
                WHEN NOT EXISTS (SELECT 1 FROM ins WHERE ins.key = i.dedup_key)
                THEN COALESCE((SELECT d.signal_id FROM alarms_signaldedup d WHERE d.key = i.dedup_key), 0)
           END AS duplicate_of
    FROM input i JOIN first f ON f.dedup_key = i.dedup_key
),
sig AS (
    INSERT INTO alarms_signal (id, received_at, receiver, transport, peer, raw, token, sequence, receiver_prefix,
                               line_prefix, account, encrypted, transmitter_id, site_id, outcome, reason, reply,
                               payload, xdata, panel_time, clock_skew_seconds, flags, duplicate_of, process_state,
                               process_error, process_attempts)
    SELECT i.id, i.received_at, %(receiver)s, i.transport, i.peer, decode(i.raw, 'hex'), i.token, i.sequence,
           i.receiver_prefix, i.line_prefix, i.account, i.encrypted, i.transmitter_id, i.site_id,
           CASE WHEN d.duplicate_of IS NULL THEN i.outcome ELSE 'duplicate' END, i.reason, i.reply, i.payload,
           i.xdata, i.panel_time, i.clock_skew, i.flags, d.duplicate_of,
           CASE WHEN i.pending AND d.duplicate_of IS NULL THEN 'pending' ELSE 'none' END, '', 0
    FROM input i LEFT JOIN dup d ON d.ord = i.ord
    RETURNING id, process_state
),
ev AS (
    INSERT INTO alarms_signalevent (signal_id, position, protocol, code, qualifier, raw_qualifier, category,
                                    priority, description, zone, area, user_number, text, modifiers, old,
                                    panel_time, site_id, disposition)
    SELECT i.id, e.position, e.protocol, e.code, e.qualifier, e.raw_qualifier, e.category, e.priority,
           e.description, e.zone, e.area, e.user_number, e.text, e.modifiers, e.old, e.panel_time, i.site_id,
           'pending'
    FROM json_to_recordset(%(events)s::json)
         AS e(ord int, position int, protocol text, code text, qualifier text, raw_qualifier text, category text,
              priority int, description text, zone text, area text, user_number text, text text, modifiers jsonb,
              old boolean, panel_time text)
    JOIN input i ON i.ord = e.ord
    JOIN sig s ON s.id = i.id AND s.process_state = 'pending'
)
SELECT i.ord, i.id, d.duplicate_of FROM input i LEFT JOIN dup d ON d.ord = i.ord
"""
# Concurrent writers lock the transmitter rows they update in one order (ascending id)
# before updating them: without it two batches deadlock and both go unacknowledged.
LOCK_TRANSMITTERS_SQL = "SELECT id FROM sites_transmitter WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE"


def _json(value) -> str:
    return orjson.dumps(value).decode()


def _batch_params(receiver: str, batch: list[Record]) -> dict:
    """The batch as two JSON documents (encoded by orjson here, decoded in C by
    ``json_to_recordset`` there); raw bytes travel as hex. Decoded text never holds
    NUL (alarms.dc09.message._text)."""
    signals = []
    events = []
    for index, r in enumerate(batch):
        signals.append({
            "ord": index, "received_at": r.received_at, "transport": r.transport, "peer": r.peer[:64],
            "raw": r.raw.hex(), "token": r.token[:16], "sequence": r.sequence[:8],
            "receiver_prefix": r.receiver_prefix[:8], "line_prefix": r.line_prefix[:8], "account": r.account[:20],
            "encrypted": r.encrypted, "transmitter_id": r.transmitter_id, "site_id": r.site_id,
            "outcome": r.outcome, "reason": r.reason, "reply": r.reply_kind, "payload": r.payload[:4000],
            "xdata": r.xdata, "panel_time": r.panel_time,
            "clock_skew": r.clock_skew, "flags": r.flags,
            # Only accepted frames are de-duplicated (a rejected one is never "the same signal").
            "dedup_key": r.dedup_key if r.outcome == "accepted" and r.dedup_key else None, "pending": r.pending,
        })
        if not r.pending:
            continue
        for position, e in enumerate(r.events):
            events.append({
                "ord": index, "position": position, "protocol": e["protocol"], "code": e["code"][:8],
                "qualifier": e["qualifier_name"], "raw_qualifier": e["qualifier"][:2], "category": e["category"],
                "priority": e["priority"], "description": e["description"], "zone": e["zone"][:8],
                "area": e["area"][:8], "user_number": e["user"][:8], "text": e["text"][:250],
                "modifiers": e["modifiers"], "old": e["old"], "panel_time": e["panel_time"][:8],
            })
    return {"receiver": receiver, "dedup_hours": settings.INTAKE_DEDUP_HOURS,
            "signals": _json(signals), "events": _json(events)}


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
            try:
                seen = self._write(raw, batch)
            except BaseException:
                try:
                    raw.execute("ROLLBACK")
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

    def _write(self, raw, batch: list[Record]) -> list[int]:
        """The whole transaction in one round trip: BEGIN; supervision when due;
        the batch (prepared statement); NOTIFY; COMMIT."""
        from sites.services import TRANSMITTER_SEEN_SQL

        # Supervision deadlines are minutes to days: a transmitter marked seen by a commit
        # less than SEEN_COALESCE_SECONDS ago is not updated again (one row update per
        # second per busy transmitter instead of one per frame).
        now = time.monotonic()
        seen = sorted({r.transmitter_id for r in batch if r.seen and r.transmitter_id
                       and now - self.seen_at.get(r.transmitter_id, -1e9) >= SEEN_COALESCE_SECONDS})
        params = _batch_params(self.receiver_name, batch)
        # Server-side binding (not Django's client-side cursor): the parameters travel
        # apart from the SQL, unescaped, and the statement can be prepared.
        with psycopg.Cursor(raw) as store:
            with raw.pipeline(), psycopg.Cursor(raw) as cursor:
                cursor.execute("BEGIN")
                if seen:
                    at = max(r.received_at for r in batch)
                    cursor.execute(LOCK_TRANSMITTERS_SQL, [seen])
                    cursor.execute(TRANSMITTER_SEEN_SQL, [at, at, seen])
                store.execute(STORE_SQL, params, prepare=True)
                if any(r.pending for r in batch):
                    cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
                cursor.execute("COMMIT")
            for ord_, signal_id, duplicate_of in store.fetchall():
                record = batch[ord_]
                record.signal_id, record.duplicate_of = signal_id, duplicate_of
        return seen
