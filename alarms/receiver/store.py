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
from django.db import close_old_connections, connection, transaction

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
            ok = self.write(batch)
            self.deliver(batch, ok)
            if stop_after:
                break
        connection.close()

    def write(self, batch: list[Record]) -> bool:
        try:
            close_old_connections()
            with transaction.atomic():
                self._write(batch)
            self.batches += 1
            self.frames += len(batch)
            self.last_commit_at = time.time()
            return True
        except Exception:
            self.failures += 1
            logger.exception("receiver: commit of %d frames failed; no reply, connections closed", len(batch))
            try:
                connection.close()
            except Exception:
                pass
            return False

    def _write(self, batch: list[Record]) -> None:
        from sites.services import transmitter_seen

        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # the psycopg 3 cursor, for COPY
            cursor.execute("SELECT nextval('alarms_signal_id_seq') FROM generate_series(1, %s)", [len(batch)])
            ids = [row[0] for row in cursor.fetchall()]
            for record, signal_id in zip(batch, ids, strict=True):
                record.signal_id = signal_id
                record.duplicate_of = None
            self._dedup(cursor, batch)
            with cursor.copy(f"COPY alarms_signal ({', '.join(SIGNAL_COLUMNS)}) FROM STDIN") as copy:
                for r in batch:
                    duplicate = r.duplicate_of is not None
                    copy.write_row((
                        r.signal_id, r.received_at, self.receiver_name, r.transport, r.peer[:64], r.raw,
                        r.token[:16], r.sequence[:8], r.receiver_prefix[:8], r.line_prefix[:8], r.account[:20],
                        r.encrypted, r.transmitter_id, r.site_id, "duplicate" if duplicate else r.outcome,
                        r.reason, r.reply_kind, r.payload[:4000], json.dumps(r.xdata) if r.xdata else None,
                        r.panel_time, r.clock_skew, json.dumps(r.flags), r.duplicate_of,
                        "pending" if r.pending and not duplicate else "none", "", 0))
            with cursor.copy(f"COPY alarms_signalevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for r in batch:
                    if r.duplicate_of is not None or not r.pending:
                        continue
                    for position, e in enumerate(r.events):
                        copy.write_row((
                            r.signal_id, position, e["protocol"], e["code"][:8], e["qualifier_name"],
                            e["qualifier"][:2], e["category"], e["priority"], e["description"], e["zone"][:8],
                            e["area"][:8], e["user"][:8], e["text"][:250], json.dumps(e["modifiers"]),
                            e["old"], e["panel_time"][:8], r.site_id, "pending"))
            seen = sorted({r.transmitter_id for r in batch if r.seen and r.transmitter_id})
            if seen:
                transmitter_seen(transmitter_ids=seen, at=max(r.received_at for r in batch))
            if any(r.pending and r.duplicate_of is None for r in batch):
                cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")

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
        keys = [r.dedup_key for r in candidates]
        cursor.execute(
            "INSERT INTO alarms_signaldedup (key, signal_id, seen_at) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[]) "
            "ON CONFLICT (key) DO UPDATE SET signal_id = EXCLUDED.signal_id, seen_at = EXCLUDED.seen_at "
            "WHERE alarms_signaldedup.seen_at < EXCLUDED.seen_at - make_interval(hours => %s) "
            "RETURNING key",
            [keys, [r.signal_id for r in candidates], [r.received_at for r in candidates],
             settings.INTAKE_DEDUP_HOURS])
        fresh = {row[0] for row in cursor.fetchall()}
        stale = [k for k in keys if k not in fresh]
        if not stale:
            return
        cursor.execute("SELECT key, signal_id FROM alarms_signaldedup WHERE key = ANY(%s)", [stale])
        original = dict(cursor.fetchall())
        for r in candidates:
            if r.dedup_key not in fresh:
                r.duplicate_of = original.get(r.dedup_key, 0)
