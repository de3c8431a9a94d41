"""The receiver's in-memory view of the configured transmitters.

Loaded from PostgreSQL at start and refreshed in the background (every few
seconds, and soon after an unknown account shows up), so the per-frame path
never queries the database. Keys are decrypted once and cached by their
encrypted form; they never leave this process.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)


def normalise_account(account: str) -> str:
    """As sites.models.normalise_account: no leading zeros, upper case (#001111 == #1111)."""
    return account.upper().lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class TxInfo:
    id: int
    site_id: int
    account: str
    receiver_prefix: str
    line_prefix: str
    encryption: str
    key: bytes | None
    alt_key: bytes | None  # the other key convention, only for a diagnostic hint
    allow_plain: bool
    binary_crc: bool
    enabled: bool

    @property
    def encrypted(self) -> bool:
        return self.encryption != "none"


def _alt_key(text: str, key_format: str) -> bytes | None:
    try:
        if key_format == "hex":
            raw = text.encode("latin-1")
        else:
            raw = bytes.fromhex(text)
        return raw if len(raw) in (16, 24, 32) else None
    except ValueError:
        return None


class Directory:
    def __init__(self, refresh_seconds: float = 5.0):
        self.refresh_seconds = refresh_seconds
        self._by_account: dict[str, list[TxInfo]] = {}
        self._keys: dict[str, tuple[bytes | None, bytes | None]] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._wanted = threading.Event()

    def load(self) -> int:
        from sites.models import Transmitter, key_to_bytes

        rows = Transmitter.objects.values_list(
            "id", "site_id", "account", "receiver_prefix", "line_prefix", "encryption", "key_format",
            "key_encrypted", "allow_plain", "binary_crc", "enabled")
        by_account: dict[str, list[TxInfo]] = {}
        keys = {}
        for (tid, site_id, account, rpref, lpref, enc, key_format, key_encrypted, allow_plain, binary_crc,
             enabled) in rows:
            key = alt = None
            if enc != "none" and key_encrypted:
                cached = self._keys.get(key_encrypted)
                if cached is None:
                    try:
                        from sites import crypto
                        text = crypto.decrypt(key_encrypted)
                        cached = (key_to_bytes(text, key_format), _alt_key(text, key_format))
                    except ValueError:
                        logger.error("transmitter #%s: its key cannot be decrypted (ARC_FIELD_KEY?)", account)
                        cached = (None, None)
                keys[key_encrypted] = cached
                key, alt = cached
            info = TxInfo(tid, site_id, account, rpref.upper(), lpref.upper(), enc, key, alt, allow_plain,
                          binary_crc, enabled)
            by_account.setdefault(normalise_account(account), []).append(info)
        with self._lock:
            self._by_account = by_account
            self._keys = keys
            self._loaded_at = time.monotonic()
        return sum(len(v) for v in by_account.values())

    def lookup(self, account: str, receiver: str, line: str) -> TxInfo | None:
        """The transmitter for this account in its receiver/line context (PROTOCOLS.md §2.6)."""
        candidates = self._by_account.get(normalise_account(account))
        if not candidates:
            self._wanted.set()
            return None
        r = receiver[1:].upper()
        ln = line[1:].upper()
        best = None
        for info in candidates:
            if info.receiver_prefix and info.receiver_prefix.lstrip("0") != r.lstrip("0"):
                continue
            if info.line_prefix and info.line_prefix.lstrip("0") != ln.lstrip("0"):
                continue
            score = bool(info.receiver_prefix) + bool(info.line_prefix)
            if best is None or score > best[0]:
                best = (score, info)
        return best[1] if best else None

    def run_refresher(self, stop: threading.Event) -> None:
        """Background thread: refresh every ``refresh_seconds``, or within a second of a miss."""
        from django.db import close_old_connections

        while not stop.is_set():
            wanted = self._wanted.wait(self.refresh_seconds)
            self._wanted.clear()
            if stop.is_set():
                break
            if wanted and time.monotonic() - self._loaded_at < 1.0:
                stop.wait(1.0)
            try:
                close_old_connections()
                self.load()
            except Exception:
                logger.warning("receiver: transmitter refresh failed; keeping the previous list", exc_info=True)
