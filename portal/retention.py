"""Data protection: retention of the signal journal and of the logbook.

Signals older than ``RETENTION_SIGNALS_DAYS`` are deleted in batches (their
parsed events go with them; alarms keep their own copy of what matters).

The logbook is append-only and hash-chained, so it is never edited: a prefix
older than ``RETENTION_LOGBOOK_DAYS`` is written to an archive file (JSON
lines, every column including the hashes), the chain is verified, and then,
in one transaction, a ``LogbookCheckpoint`` (last archived id, its hash, the
count) is recorded and the prefix deleted — the database trigger lets a
DELETE through only for ids covered by a checkpoint. ``verify_logbook``
starts from the newest checkpoint; ``verify_archive`` re-checks a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alarms.models import Signal
from logbook.chain import GENESIS, HASHED_FIELDS, entry_matches
from logbook.models import Category, LogEntry
from logbook.services import entry_append
from logbook.verify import verify_chain
from portal.models import LogbookCheckpoint

ARCHIVE_FIELDS = ("id", "created_at", "prev_hash", "hash", *HASHED_FIELDS)


class _ArchiveEncoder(DjangoJSONEncoder):
    # Full microseconds: the entry hash covers them (DjangoJSONEncoder keeps milliseconds only).
    def default(self, o):
        if isinstance(o, dt.datetime):
            return o.isoformat(timespec="microseconds")
        return super().default(o)


class RetentionError(Exception):
    """Retention refused to run; the message says why (nothing was removed)."""


def latest_checkpoint() -> tuple[int, str, int] | None:
    row = LogbookCheckpoint.objects.order_by("-last_id").values_list("last_id", "last_hash", "count").first()
    return tuple(row) if row else None


def purge_signals(*, older_than_days: int | None = None, batch: int = 5000, actor_name: str = "retention") -> int:
    """Delete journal rows received before the retention limit; returns how many."""
    days = older_than_days if older_than_days is not None else settings.RETENTION_SIGNALS_DAYS
    cutoff = timezone.now() - dt.timedelta(days=days)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(Signal.objects.filter(received_at__lt=cutoff).exclude(process_state="pending")
                       .order_by("id").values_list("id", flat=True)[:batch])
            if not ids:
                break
            Signal.objects.filter(id__in=ids).delete()
            total += len(ids)
    if total:
        with transaction.atomic():
            entry_append(action="retention.signals_purged", category=Category.SYSTEM, actor_name=actor_name,
                         new={"deleted": total, "before": cutoff, "days": days},
                         message=f"Rétention : {total} signaux reçus avant le {cutoff:%d/%m/%Y} supprimés du journal")
    return total


def _verify_segment(rows: list[dict], prev_hash: str) -> str:
    for values in rows:
        if values["prev_hash"] != prev_hash:
            raise RetentionError(f"entry {values['id']}: previous-hash link broken; nothing archived")
        if not entry_matches(values, created_at=values["created_at"], prev_hash=prev_hash, stored=values["hash"]):
            raise RetentionError(f"entry {values['id']}: content does not match its hash; nothing archived")
        prev_hash = values["hash"]
    return prev_hash


def archive_logbook(*, older_than_days: int | None = None, before: dt.datetime | None = None,
                    archive_dir: Path | None = None, actor_name: str = "retention") -> LogbookCheckpoint | None:
    """Archive and remove the logbook prefix older than the retention limit
    (or written before ``before``; entries carry the database clock)."""
    days = older_than_days if older_than_days is not None else settings.RETENTION_LOGBOOK_DAYS
    cutoff = before or timezone.now() - dt.timedelta(days=days)
    previous = latest_checkpoint()
    start_id, prev_hash, archived = previous if previous else (0, GENESIS, 0)
    last_id = (LogEntry.objects.filter(id__gt=start_id, created_at__lt=cutoff).order_by("-id")
               .values_list("id", flat=True).first())
    if last_id is None:
        return None
    result = verify_chain()
    if not result.ok:
        raise RetentionError(f"the logbook does not verify ({result}); nothing archived")
    rows = [dict(zip(ARCHIVE_FIELDS, row, strict=True)) for row in
            LogEntry.objects.filter(id__gt=start_id, id__lte=last_id).order_by("id").values_list(*ARCHIVE_FIELDS)]
    last_hash = _verify_segment(rows, prev_hash)
    count = archived + len(rows)
    folder = Path(archive_dir or settings.LOGBOOK_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"logbook-{rows[0]['id']:012d}-{last_id:012d}.jsonl"
    header = {"arc_logbook_archive": 1, "first_id": rows[0]["id"], "last_id": last_id, "prev_hash": prev_hash,
              "last_hash": last_hash, "count": count, "created_at": timezone.now()}
    digest = hashlib.sha256()
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        for record in [header, *rows]:
            line = (json.dumps(record, cls=_ArchiveEncoder, ensure_ascii=False, sort_keys=True) + "\n").encode()
            digest.update(line)
            out.write(line)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    with transaction.atomic():
        checkpoint = LogbookCheckpoint.objects.create(
            last_id=last_id, last_hash=last_hash, count=count, archive_path=str(path),
            archive_sha256=digest.hexdigest(), created_by_name=actor_name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('arc.logbook_purge_upto', %s, true)", [str(last_id)])
            cursor.execute("DELETE FROM logbook_logentry WHERE id > %s AND id <= %s", [start_id, last_id])
            cursor.execute("SELECT set_config('arc.logbook_purge_upto', '', true)")
        entry_append(action="retention.logbook_archived", category=Category.SYSTEM, actor_name=actor_name,
                     new={"first_id": rows[0]["id"], "last_id": last_id, "last_hash": last_hash, "count": count,
                          "archive": path.name, "archive_sha256": checkpoint.archive_sha256},
                     message=f"Rétention : entrées {rows[0]['id']} à {last_id} de la main courante archivées "
                             f"dans {path.name} (empreinte {last_hash[:16]}…) puis retirées de la base")
    return checkpoint


def verify_archive(path: Path) -> dict:
    """Re-check an archive file: every entry's hash and link, and its header."""
    with open(path, encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        prev_hash = header["prev_hash"]
        rows = []
        for line in handle:
            values = json.loads(line)
            values["created_at"] = parse_datetime(values["created_at"])
            rows.append(values)
    last_hash = _verify_segment(rows, prev_hash)
    if last_hash != header["last_hash"] or (rows and rows[-1]["id"] != header["last_id"]):
        raise RetentionError("the archive's header does not match its entries")
    return {"entries": len(rows), "last_id": header["last_id"], "last_hash": last_hash}
