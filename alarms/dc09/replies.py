"""Reply frames: ACK, *ACK, NAK, DUH (PROTOCOLS.md §4). Never RSP, never [K…].

Sequence, R (only when present), L and account are echoed exactly as
received: no ``R0``, no ``None``, no reordering.
"""

from __future__ import annotations

import datetime as dt

from alarms.dc09.crc import crc_hex
from alarms.dc09.crypto import encrypt_body
from alarms.dc09.message import format_timestamp


def wrap(span: bytes) -> bytes:
    return b"\n" + crc_hex(span).encode() + f"0{len(span):03X}".encode() + span + b"\r"


def _header(token: str, seq: str, receiver: str, line: str, account: str) -> bytes:
    return f'"{token}"{seq}{receiver}{line}#{account}['.encode("ascii")


def ack(seq: str, receiver: str, line: str, account: str) -> bytes:
    return wrap(_header("ACK", seq, receiver, line, account) + b"]")


def ack_encrypted(key: bytes, seq: str, receiver: str, line: str, account: str,
                  now: dt.datetime | None = None) -> bytes:
    now = now or dt.datetime.now(dt.UTC)
    body = encrypt_body(key, b"]" + format_timestamp(now).encode())
    return wrap(_header("*ACK", seq, receiver, line, account) + body.encode())


def duh(seq: str, receiver: str, line: str, account: str) -> bytes:
    return wrap(_header("DUH", seq, receiver, line, account) + b"]")


def nak(now: dt.datetime | None = None) -> bytes:
    """The fixed NAK with our UTC time; never encrypted, never echoes the sender."""
    now = now or dt.datetime.now(dt.UTC)
    return wrap(b'"NAK"0000R0L0A0[]' + format_timestamp(now).encode())


def event_frame(token: str, seq: str, receiver: str, line: str, account: str, data: str,
                xdata: str = "", timestamp: dt.datetime | None = None, key: bytes | None = None) -> bytes:
    """A panel's frame (for tests, benches and simulators)."""
    ts = format_timestamp(timestamp) if timestamp else ""
    if key is not None:
        body = encrypt_body(key, (data + "]" + xdata + ts).encode("cp1252")).encode()
        return wrap(_header("*" + token, seq, receiver, line, account) + body)
    return wrap(_header(token, seq, receiver, line, account) + (data + "]" + xdata + ts).encode("cp1252"))
