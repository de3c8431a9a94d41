"""Walk the chain and name the first broken entry."""

from __future__ import annotations

from dataclasses import dataclass

from logbook.chain import GENESIS, HASHED_FIELDS, entry_matches
from logbook.models import ChainHead, LogEntry


@dataclass
class Verification:
    ok: bool
    checked: int
    head_hash: str
    first_broken_id: int | None = None
    reason: str = ""

    def __str__(self):
        if self.ok:
            return f"OK: {self.checked} entries, head {self.head_hash}"
        return f"BROKEN at entry {self.first_broken_id}: {self.reason} ({self.checked} checked before it)"


# Retention (portal/retention.py) archives a prefix of the chain to a file and
# records a checkpoint (last archived id, its hash, how many entries). The
# logbook imports nothing of ours, so the checkpoint reaches us through this
# hook: a callable returning (last_id, last_hash, count) or None.
_checkpoint_source = None


def register_checkpoint_source(source) -> None:
    global _checkpoint_source
    _checkpoint_source = source


def verify_chain(*, chunk: int = 5000, progress=None) -> Verification:
    """``progress(checked, total)`` is called every ``chunk`` entries (exports
    show it). After a retention purge, the walk starts at the checkpoint: the
    first remaining entry must link to the last archived entry's hash."""
    head = ChainHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else GENESIS
    prev_hash = GENESIS
    checked = 0
    last_id = 0
    archived = 0
    checkpoint = _checkpoint_source() if _checkpoint_source is not None else None
    if checkpoint is not None:
        last_id, prev_hash, archived = checkpoint
    fields = ("id", "created_at", "prev_hash", "hash", *HASHED_FIELDS)
    rows = LogEntry.objects.filter(id__gt=last_id).order_by("id").values_list(*fields).iterator(chunk_size=chunk)
    for row in rows:
        values = dict(zip(fields, row, strict=True))
        if values["prev_hash"] != prev_hash:
            return Verification(False, checked, head_hash, values["id"],
                                "previous-hash link broken (an entry before it was removed or altered)")
        if not entry_matches(values, created_at=values["created_at"], prev_hash=values["prev_hash"],
                             stored=values["hash"]):
            return Verification(False, checked, head_hash, values["id"], "content does not match its hash")
        prev_hash = values["hash"]
        last_id = values["id"]
        checked += 1
        if progress is not None and checked % chunk == 0:
            progress(checked, head.count if head else checked)
    if head and (head.last_hash != prev_hash or (checked and head.last_id != last_id)):
        return Verification(False, checked, head_hash, last_id or None,
                            "chain head does not match the last entry (entries removed at the end)")
    if head and head.count != checked + archived:
        return Verification(False, checked, head_hash, last_id or None,
                            f"chain head counts {head.count} entries, {checked + archived} found"
                            + (f" ({archived} archived)" if archived else ""))
    return Verification(True, checked, head_hash)
