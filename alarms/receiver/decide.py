"""One frame → what to store and what to answer (PROTOCOLS.md §10).

Checks run in the order of the standard: framing, CRC and length, header,
token, account and key, decryption, timestamp, duplicate, content. The
result is a ``Record`` (the journal row, its events, its de-duplication key)
and the reply bytes, which the connection sends only once the record is
committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from alarms import codes
from alarms.dc09 import replies
from alarms.dc09.crypto import DecryptError, decrypt_body
from alarms.dc09.framing import Chunk
from alarms.dc09.message import Message, Problem, parse
from alarms.dc09.payload import PayloadError, decode
from alarms.receiver.directory import Directory, TxInfo

WINDOW_PAST = dt.timedelta(seconds=40)
WINDOW_FUTURE = dt.timedelta(seconds=20)
SKEW_NOTICE_SECONDS = 300


@dataclass(slots=True)
class Record:
    received_at: dt.datetime
    transport: str
    peer: str
    raw: bytes
    outcome: str = "rejected"
    reason: str = ""
    reply: bytes | None = None
    reply_kind: str = ""
    token: str = ""
    sequence: str = ""
    receiver_prefix: str = ""
    line_prefix: str = ""
    account: str = ""
    encrypted: bool = False
    transmitter_id: int | None = None
    site_id: int | None = None
    payload: str = ""
    xdata: list | None = None
    panel_time: dt.datetime | None = None
    clock_skew: float | None = None
    flags: list = field(default_factory=list)
    events: list = field(default_factory=list)  # classified event dicts
    dedup_key: str = ""
    pending: bool = False  # an outbox row for the intake worker
    seen: bool = False     # restarts the transmitter's supervision
    # Filled by the writer:
    signal_id: int = 0
    duplicate_of: int | None = None
    sink: object = None  # the connection waiting for the commit


def _classified(event: dict) -> dict:
    cls = codes.classify(event["protocol"], event["code"], event["qualifier"])
    event["category"] = cls.category
    event["priority"] = cls.priority
    event["qualifier_name"] = cls.qualifier
    event["description"] = cls.description[:200]
    return event


def _header_fields(record: Record, message: Message) -> None:
    record.token = ("*" if message.encrypted else "") + message.token
    record.sequence = message.sequence
    record.receiver_prefix = message.receiver
    record.line_prefix = message.line
    record.account = message.account
    record.encrypted = message.encrypted
    record.flags.extend(message.flags)


def _reject(record: Record, reason: str, reply: bytes | None = None, kind: str = "") -> Record:
    record.outcome = "rejected"
    record.reason = reason[:200]
    record.reply = reply
    record.reply_kind = kind
    return record


def decide(chunk: Chunk, *, peer: str, transport: str, directory: Directory, now: dt.datetime,
           receiver_name: str = "") -> Record:
    record = Record(received_at=now, transport=transport, peer=peer, raw=chunk.raw)
    if chunk.error:
        return _reject(record, chunk.error)
    message = parse(chunk.raw, binary_crc=chunk.binary_crc)
    if message.problem in (Problem.CRC, Problem.LENGTH):
        _header_fields(record, message)
        return _reject(record, message.reason)
    if message.problem == Problem.HEADER:
        return _reject(record, message.reason, replies.nak(now), "NAK")
    if message.problem == Problem.INBOUND_REPLY:
        record.token = message.token
        return _reject(record, message.reason)
    _header_fields(record, message)
    echo = (message.sequence, message.receiver, message.line, message.account)
    if message.problem == Problem.UNSUPPORTED:
        return _reject(record, message.reason, replies.duh(*echo), "DUH")
    tx: TxInfo | None = directory.lookup(message.account, message.receiver, message.line)
    if tx is not None:
        record.transmitter_id, record.site_id = tx.id, tx.site_id
        if not tx.enabled:
            record.flags.append("transmitter_disabled")
    if chunk.binary_crc and (tx is None or not tx.binary_crc):
        return _reject(record, "binary CRC from a transmitter not configured for it")
    if message.encrypted:
        if tx is None or tx.key is None:
            return _reject(record, "encrypted frame: unknown account or no key", replies.duh(*echo), "DUH")
        try:
            decrypt_body(message, tx.key)
        except DecryptError as exc:
            reason = f"decryption failed: {exc}"
            if tx.alt_key:
                try:
                    probe = parse(chunk.raw, binary_crc=chunk.binary_crc)
                    decrypt_body(probe, tx.alt_key)
                    reason += " (hint: the transmitter appears to use the other key format)"
                except DecryptError:
                    pass
            # Operators must hear of it (wrong key, or someone else's panel): one notice via intake.
            record.flags.append("decryption_failed")
            record.pending = True
            return _reject(record, reason, replies.duh(*echo), "DUH")
        if message.timestamp is None or not (now - WINDOW_PAST <= message.timestamp <= now + WINDOW_FUTURE):
            record.payload = message.data
            return _reject(record, "encrypted frame: timestamp missing or outside -40/+20 s",
                           replies.nak(now), "NAK")
    else:
        if message.problem == Problem.MALFORMED:
            return _reject(record, message.reason, replies.duh(*echo), "DUH")
        if tx is not None and tx.encrypted and not tx.allow_plain:
            record.flags.append("security")
            record.pending = True  # a downgrade: a security notice for operators, via intake
            return _reject(record, "plain frame to an encrypted account", replies.duh(*echo), "DUH")
    record.payload = message.data
    record.xdata = [list(x) for x in message.xdata] or None
    if message.timestamp is not None:
        record.panel_time = message.timestamp
        record.clock_skew = (message.timestamp - now).total_seconds()
        if abs(record.clock_skew) > SKEW_NOTICE_SECONDS:
            record.flags.append("clock_skew")
    if tx is None:
        record.flags.append("unknown_account")
    if message.encrypted:
        ok = replies.ack_encrypted(tx.key, *echo, now=now)
        kind = "*ACK"
    else:
        ok = replies.ack(*echo)
        kind = "ACK"
    if message.is_null:
        record.outcome, record.reply, record.reply_kind = "accepted", ok, kind
        record.seen = tx is not None
        return record
    try:
        inner, events = decode(message.token, message.data)
    except PayloadError as exc:
        return _reject(record, f"unparseable signal: {exc}", replies.duh(*echo), "DUH")
    if inner and (inner.upper().lstrip("0") or "0") != (message.account.upper().lstrip("0") or "0"):
        record.flags.append("account_mismatch")
    record.events = [_classified(e) for e in events]
    if any(not codes.lookup(e["protocol"], e["code"]) for e in events):
        record.flags.append("unknown_code")
    digest = hashlib.sha256()
    account_key = message.account.upper().lstrip("0") or "0"
    for part in (account_key, message.token, message.sequence, message.data, repr(message.xdata)):
        digest.update(part.encode("utf-8", "replace"))
        digest.update(b"\x00")
    # 128 bits of SHA-256, stored as a UUID: a fixed-width binary key, compared by memcmp.
    record.dedup_key = digest.digest()[:16].hex()
    record.outcome, record.reply, record.reply_kind = "accepted", ok, kind
    record.pending = True
    record.seen = tx is not None
    return record
