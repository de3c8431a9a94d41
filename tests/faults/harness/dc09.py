"""An independent SIA DC-09 sender with a ledger of ACKed frames.

Built from ../shared/PROTOCOLS.md sections 2-4 and nothing of alarms.dc09, so
a framing bug in the receiver cannot hide behind the same bug here.

A ``Panel`` is one transmitter account (optionally AES-encrypted). A
``Sender`` sends events for many panels over TCP, like a panel would: it
waits for the reply; without an ACK it retransmits the SAME sequence and
payload (with a new pad and timestamp when encrypted), after a timeout fails
over to the next receiver address, and records in its ledger each event the
receiver acknowledged. The ledger is what the fault tests compare with the
signal journal: nothing ACKed may be missing, nothing may be journaled twice.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def crc16_arc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def wrap(span: bytes) -> bytes:
    """LF + CRC + 0LLL + span + CR."""
    return b"\n" + f"{crc16_arc(span):04X}0{len(span):03X}".encode() + span + b"\r"


def timestamp(at: dt.datetime | None = None) -> str:
    at = at or dt.datetime.now(dt.UTC)
    return at.strftime("_%H:%M:%S,%m-%d-%Y")


_PAD_BYTES = bytes(b for b in range(256) if b not in b"|[]")


def _pad(length: int) -> bytes:
    return bytes(random.choice(_PAD_BYTES) for _ in range(length))


def aes_encrypt(key: bytes, plaintext: bytes) -> str:
    """PROTOCOLS 3.2: pad + '|' + plaintext, to a multiple of 16 (a full block when already aligned)."""
    body = b"|" + plaintext
    pad_len = 16 - (len(body) % 16) if len(body) % 16 else 16
    data = _pad(pad_len) + body
    encryptor = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex().upper()


def aes_decrypt(key: bytes, hex_text: str) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).decryptor()
    return decryptor.update(bytes.fromhex(hex_text)) + decryptor.finalize()


@dataclass
class Panel:
    account: str
    key: bytes | None = None  # AES key bytes when the transmitter is encrypted
    receiver: str = "R1"
    line: str = "L1"
    _seq: int = 0

    def next_sequence(self) -> str:
        self._seq = self._seq % 9999 + 1
        return f"{self._seq:04d}"

    def frame(self, token: str, sequence: str, data: str, *, at: dt.datetime | None = None,
              with_timestamp: bool = False) -> bytes:
        """One frame; ``data`` is the inside of the data block (``#acct|Nri1/BA01`` or '')."""
        header = f'"{"*" if self.key else ""}{token}"{sequence}{self.receiver}{self.line}#{self.account}['
        if self.key:
            body = aes_encrypt(self.key, f"{data}]{timestamp(at)}".encode())
            return wrap(header.encode() + body.encode())
        tail = f"{data}]" + (timestamp(at) if with_timestamp else "")
        return wrap((header + tail).encode())

    def event(self, sequence: str, code: str, zone: str, *, at: dt.datetime | None = None) -> bytes:
        return self.frame("SIA-DCS", sequence, f"#{self.account}|Nri1/{code}{zone}", at=at)

    def null(self, *, at: dt.datetime | None = None) -> bytes:
        return self.frame("NULL", "0000", "", at=at)


def parse_reply(frame: bytes) -> tuple[str, str]:
    """(token, sequence) of a receiver reply; raises ValueError on a bad frame."""
    if len(frame) < 10 or frame[:1] != b"\n" or frame[-1:] != b"\r":
        raise ValueError(f"not a frame: {frame!r}")
    crc, length, span = frame[1:5], frame[5:9], frame[9:-1]
    if int(length[1:], 16) != len(span) or int(crc, 16) != crc16_arc(span):
        raise ValueError(f"bad CRC or length: {frame!r}")
    end = span.index(b'"', 1)
    token = span[1:end].decode()
    return token, span[end + 1:end + 5].decode()


def read_frame(sock: socket.socket, buffer: bytearray, timeout: float) -> bytes:
    """One whole frame from a TCP stream (LF .. CR located with the length field)."""
    deadline = time.monotonic() + timeout
    while True:
        start = buffer.find(b"\n")
        if start >= 0 and len(buffer) >= start + 9:
            try:
                span_len = int(buffer[start + 6:start + 9], 16)
            except ValueError:
                del buffer[:start + 1]
                continue
            end = start + 9 + span_len
            if len(buffer) > end:
                frame = bytes(buffer[start:end + 1])
                del buffer[:end + 1]
                return frame
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no reply")
        sock.settimeout(remaining)
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed by the receiver")
        buffer += chunk


@dataclass
class LedgerEntry:
    account: str
    sequence: str
    code: str
    zone: str
    first_sent: float
    acked_at: float | None = None
    attempts: int = 0
    receivers: list[int] = field(default_factory=list)  # index of the address that ACKed


class Ledger:
    """What the sender knows: every event it sent and whether (and where) it was ACKed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[LedgerEntry] = []
        self.replies: dict[str, int] = {}
        self.failovers = 0
        self.ack_latencies: list[float] = []  # seconds from the last send to the ACK

    def acked(self) -> list[LedgerEntry]:
        return [e for e in self.entries if e.acked_at is not None]

    def unacked(self) -> list[LedgerEntry]:
        return [e for e in self.entries if e.acked_at is None]

    def count(self, token: str) -> None:
        with self.lock:
            self.replies[token] = self.replies.get(token, 0) + 1


class Sender:
    """Sends events for a set of panels to receivers ``addresses`` (primary first), keeps a ledger.

    One persistent TCP connection at a time, like a panel's communicator. When
    no ACK comes within ``reply_timeout``, the same frame is retransmitted;
    after ``attempts_per_receiver`` failures on one address the sender fails
    over to the next (and comes back to the primary later, as panels do).
    """

    def __init__(self, addresses: list[tuple[str, int]], panels: list[Panel], *, reply_timeout: float = 2.0,
                 attempts_per_receiver: int = 2, retry_pause: float = 0.2, ledger: Ledger | None = None):
        self.addresses = addresses
        self.panels = panels
        self.reply_timeout = reply_timeout
        self.attempts_per_receiver = attempts_per_receiver
        self.retry_pause = retry_pause
        self.ledger = ledger or Ledger()
        self.current = 0
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    # --- connection ------------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        if self.sock is None:
            host, port = self.addresses[self.current]
            self.sock = socket.create_connection((host, port), timeout=self.reply_timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = bytearray()
        return self.sock

    def _drop(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def _failover(self) -> None:
        self._drop()
        self.current = (self.current + 1) % len(self.addresses)
        with self.ledger.lock:
            self.ledger.failovers += 1

    def close(self) -> None:
        self._drop()

    # --- one exchange --------------------------------------------------------------------
    def exchange(self, make_frame, sequence: str) -> str | None:
        """Send (rebuilding the frame each attempt: new pad and timestamp), return the reply token."""
        try:
            sock = self._connect()
            sock.sendall(make_frame())
            while True:
                token, seq = parse_reply(read_frame(sock, self.buffer, self.reply_timeout))
                self.ledger.count(token)
                if token == "NAK" or seq == sequence:
                    return token
        except (OSError, TimeoutError, ConnectionError, ValueError):
            self._drop()
            return None

    def send_event(self, panel: Panel, code: str = "BA", zone: str = "01", *,
                   give_up_after: float = 60.0) -> LedgerEntry:
        """Send one event until ACKed (failing over as needed) or ``give_up_after`` seconds."""
        sequence = panel.next_sequence()
        entry = LedgerEntry(panel.account, sequence, code, zone, time.time())
        with self.ledger.lock:
            self.ledger.entries.append(entry)
        deadline = time.monotonic() + give_up_after
        failures_here = 0
        while time.monotonic() < deadline and not self.stop_event.is_set():
            entry.attempts += 1
            sent = time.perf_counter()
            token = self.exchange(lambda: panel.event(sequence, code, zone), sequence)
            if token in ("ACK", "*ACK"):
                entry.acked_at = time.time()
                entry.receivers.append(self.current)
                with self.ledger.lock:
                    self.ledger.ack_latencies.append(time.perf_counter() - sent)
                return entry
            if token == "DUH":
                return entry  # the receiver will never take it; not in the ledger as ACKed
            failures_here += 1
            if failures_here >= self.attempts_per_receiver and len(self.addresses) > 1:
                self._failover()
                failures_here = 0
            time.sleep(self.retry_pause)
        return entry

    # --- background load -----------------------------------------------------------------------
    def run(self, rate: float, *, codes=("BA",), duration: float | None = None) -> None:
        """Send events round-robin over the panels at ``rate`` per second until stopped."""
        interval = 1.0 / rate
        next_at = time.monotonic()
        started = time.monotonic()
        n = 0
        while not self.stop_event.is_set():
            if duration is not None and time.monotonic() - started > duration:
                break
            panel = self.panels[n % len(self.panels)]
            self.send_event(panel, codes[n % len(codes)], f"{(n % 99) + 1:02d}")
            n += 1
            next_at += interval
            pause = next_at - time.monotonic()
            if pause > 0:
                self.stop_event.wait(pause)
            else:
                next_at = time.monotonic()
        self.close()

    def start(self, rate: float, **kwargs) -> Sender:
        self.thread = threading.Thread(target=self.run, args=(rate,), kwargs=kwargs, daemon=True,
                                       name=f"dc09-sender-{os.getpid()}")
        self.thread.start()
        return self

    def stop(self, timeout: float = 90) -> None:
        """Stop sending new events; the one in flight finishes (ACK or give-up)."""
        self.stop_event.set()
        if self.thread:
            self.thread.join(timeout)


def check_ledger_against_journal(ledger: Ledger, journal: list[tuple[str, str, str, str]]) -> dict:
    """Compare the ACKed events with the journal's accepted events.

    ``journal`` holds one (account, sequence, code, zone) per accepted event row
    (duplicates the receiver recognised are journaled as ``duplicate`` and are
    not in it). Returns {"lost": [...], "duplicated": [...], "acked": n}; both
    lists must be empty. Sequences are unique per panel within one run (fewer
    than 9,999 events each), so (account, sequence) identifies one event.
    """
    def norm(value: str) -> str:
        return value.upper().lstrip("0") or "0"

    counts: dict[tuple, int] = {}
    for account, sequence, code, zone in journal:
        key = (norm(account), sequence, code, norm(zone))
        counts[key] = counts.get(key, 0) + 1
    lost, duplicated = [], []
    acked = ledger.acked()
    for entry in acked:
        found = counts.get((norm(entry.account), entry.sequence, entry.code, norm(entry.zone)), 0)
        if found == 0:
            lost.append(entry)
        elif found > 1:
            duplicated.append(entry)
    return {"lost": lost, "duplicated": duplicated, "acked": len(acked)}
