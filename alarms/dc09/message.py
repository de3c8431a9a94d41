"""Parse one DC-09 frame (PROTOCOLS.md §2, §3, §10 "what to answer").

``parse`` checks CRC and length over the raw bytes, then the header, and
returns a ``Message`` whose ``problem`` says what the receiver must answer:
``""`` (valid so far), or one of the ``Problem`` values. Decryption needs
the account's key, so it is a second step (``decrypt_body``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from alarms.dc09.crc import crc16_arc

TOKENS_EVENT = frozenset({"SIA-DCS", "ADM-CID", "NULL"})
TOKENS_INBOUND_REPLY = frozenset({"ACK", "NAK", "DUH", "RSP"})

_HEADER = re.compile(
    rb'"(\*?)([A-Za-z0-9-]{1,16})"([0-9A-Fa-f]{4})(R[0-9A-Fa-f]{1,6})?(L[0-9A-Fa-f]{0,6})?#([0-9A-Fa-f]{1,16})\['
)
_TOKEN_ONLY = re.compile(rb'"(\*?)([A-Za-z0-9-]{1,16})"')
_TIMESTAMP = re.compile(rb"_(\d\d):(\d\d):(\d\d),(\d\d)-(\d\d)-(\d\d\d\d)$")
_XDATA = re.compile(rb"\[([A-Z])([^\]]*)\]")


class Problem:
    NONE = ""
    CRC = "crc"                    # no reply
    LENGTH = "length"              # no reply
    HEADER = "header"              # fixed NAK
    INBOUND_REPLY = "inbound_reply"  # no reply
    UNSUPPORTED = "unsupported_token"  # DUH
    MALFORMED = "malformed"        # DUH (body cannot be split)


@dataclass(slots=True)
class Message:
    raw: bytes
    problem: str = Problem.NONE
    reason: str = ""
    token: str = ""
    encrypted: bool = False
    sequence: str = ""
    receiver: str = ""   # the R field as sent ("R1"), or "" when absent
    line: str = ""       # the L field as sent ("L2", bare "L"), or "" when absent
    account: str = ""
    body: bytes = b""    # after the header's "[": plain data..., or the ciphertext hex
    data: str = ""       # inside the data brackets (plain or decrypted)
    xdata: list = field(default_factory=list)  # [(id, value)]
    timestamp: dt.datetime | None = None
    flags: list = field(default_factory=list)
    binary_crc: bool = False

    @property
    def is_null(self) -> bool:
        return self.token == "NULL"


def _text(value: bytes) -> str:
    # NUL cannot be stored in PostgreSQL text: it becomes U+FFFD (the raw frame keeps the byte).
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        text = value.decode("cp1252", errors="replace")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def parse_timestamp(raw: bytes) -> dt.datetime | None:
    """``_HH:MM:SS,MM-DD-YYYY`` in UTC, month-day-year (§2.9)."""
    match = _TIMESTAMP.search(raw)
    if not match:
        return None
    hh, mi, ss, mo, dd, yy = (int(g) for g in match.groups())
    try:
        return dt.datetime(yy, mo, dd, hh, mi, ss, tzinfo=dt.UTC)
    except ValueError:
        return None


def format_timestamp(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("_%H:%M:%S,%m-%d-%Y")


def split_body(body: bytes, message: Message, *, allow_no_data: bool = False) -> bool:
    """Split ``data]`` + ``[X…]``… + optional timestamp; False when it cannot be split."""
    end = body.find(b"]")
    if end < 0:
        return False
    message.data = _text(body[:end])
    rest = body[end + 1:]
    xdata = []
    while rest.startswith(b"["):
        match = _XDATA.match(rest)
        if not match:
            return False
        xdata.append((match.group(1).decode(), _text(match.group(2))))
        rest = rest[match.end():]
    message.xdata = xdata
    if rest:
        ts = parse_timestamp(rest)
        if ts is None or not _TIMESTAMP.fullmatch(rest):
            return False
        message.timestamp = ts
    return True


def parse(raw: bytes, *, binary_crc: bool = False) -> Message:
    """``raw`` is a complete frame from the framer, LF…CR included."""
    message = Message(raw=raw, binary_crc=binary_crc)
    if binary_crc:
        crc_field, length_field, span = raw[1:3], raw[3:7], raw[7:-1]
        expected = int.from_bytes(crc_field, "big")
    else:
        crc_field, length_field, span = raw[1:5], raw[5:9], raw[9:-1]
        try:
            expected = int(crc_field, 16)
        except ValueError:
            expected = -1
    try:
        length = int(length_field[1:], 16)
    except ValueError:
        length = -1
    if crc16_arc(span) != expected:
        message.problem, message.reason = Problem.CRC, "CRC mismatch"
        _salvage_header(message, span)
        return message
    if length != len(span):
        message.problem, message.reason = Problem.LENGTH, "length mismatch"
        _salvage_header(message, span)
        return message
    match = _HEADER.match(span)
    if not match:
        token = _TOKEN_ONLY.match(span)
        if token and token.group(2).decode().upper() in TOKENS_INBOUND_REPLY:
            message.token = token.group(2).decode()
            message.problem, message.reason = Problem.INBOUND_REPLY, "inbound reply token"
            return message
        message.problem, message.reason = Problem.HEADER, "header cannot be parsed"
        return message
    star, token, seq, rcvr, line, acct = match.groups()
    message.encrypted = bool(star)
    message.token = token.decode()
    message.sequence = seq.decode()
    message.receiver = (rcvr or b"").decode()
    message.line = (line or b"").decode()
    message.account = acct.decode()
    message.body = span[match.end():]
    if not message.sequence.isdigit():
        message.flags.append("hex_sequence")
    if not message.line:
        message.flags.append("no_line")
    elif message.line == "L":
        message.flags.append("bare_line")
    if binary_crc:
        message.flags.append("binary_crc")
    upper = message.token.upper()
    if upper in TOKENS_INBOUND_REPLY:
        message.problem, message.reason = Problem.INBOUND_REPLY, "inbound reply token"
        return message
    if upper not in TOKENS_EVENT:
        message.problem, message.reason = Problem.UNSUPPORTED, f"unsupported token {message.token}"
        return message
    message.token = upper
    if not message.encrypted:
        if not split_body(message.body, message):
            message.problem, message.reason = Problem.MALFORMED, "data block cannot be parsed"
    return message


def _salvage_header(message: Message, span: bytes) -> None:
    """Best-effort account and sequence of a frame we will not answer, for the journal."""
    match = _HEADER.match(span)
    if match:
        message.token = match.group(2).decode(errors="replace")
        message.sequence = match.group(3).decode()
        message.account = match.group(6).decode()
        message.encrypted = bool(match.group(1))
