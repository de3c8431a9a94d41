"""Fault 7: replayed encrypted frames outside the window, and forged frames, are rejected
and journaled — and none of them becomes an alarm.

An attacker on the panels' network can capture an encrypted frame and play it
again later, or make up frames: with a wrong key, with flipped ciphertext, as
a plain frame to an encrypted account (a downgrade), or with a bad CRC.
"""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from tests.faults.harness.dc09 import Panel, crc16_arc, parse_reply, read_frame, wrap

pytestmark = [pytest.mark.faults]


def exchange(port: int, frame: bytes, timeout: float = 2.0) -> tuple[str, str] | None:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(frame)
        try:
            return parse_reply(read_frame(sock, bytearray(), timeout))
        except (TimeoutError, ConnectionError):
            return None


def journal(cluster, account: str) -> list[tuple[str, str, str, str, bytes]]:
    rows = cluster.sql("SELECT sequence, outcome, reply, reason, encode(raw, 'hex') FROM alarms_signal "
                       f"WHERE account = '{account}' ORDER BY id")
    return [(r[0], r[1], r[2], r[3], bytes.fromhex(r[4])) for r in rows]


def flip_ciphertext(frame: bytes) -> bytes:
    """Change one hex digit of the last cipher block and fix CRC and length (a forger can)."""
    span = bytearray(frame[9:-1])
    position = len(span) - 5
    span[position] = ord("0") if span[position] != ord("0") else ord("1")
    return wrap(bytes(span))


def test_replays_and_forgeries_rejected_and_journaled(cluster):
    account, key_hex = next(iter(cluster.seed["encrypted"].items()))
    key = bytes.fromhex(key_hex)
    panel = Panel(account, key=key)
    rx = cluster.receiver("rx1")
    now = dt.datetime.now(dt.UTC)

    genuine = panel.event("0101", "BA", "03")
    assert exchange(rx.port, genuine) == ("*ACK", "0101")
    # The same captured bytes, at once: inside the window, recognised as a duplicate (ACKed, not re-alarmed).
    assert exchange(rx.port, genuine) == ("*ACK", "0101")

    cases = {
        # (frame, expected reply token or None, words expected in the journal's reason)
        "replay 61 s late": (panel.event("0102", "BA", "04", at=now - dt.timedelta(seconds=61)), "NAK", "outside"),
        "replay 10 min late": (panel.event("0103", "BA", "04", at=now - dt.timedelta(minutes=10)), "NAK", "outside"),
        "from the future": (panel.event("0104", "BA", "04", at=now + dt.timedelta(seconds=60)), "NAK", "outside"),
        "wrong key": (Panel(account, key=bytes(16)).event("0105", "BA", "05"), "DUH", "decryption failed"),
        "flipped ciphertext": (flip_ciphertext(panel.event("0106", "BA", "06")), "DUH", "decryption failed"),
        "plain downgrade": (Panel(account).event("0107", "BA", "07"), "DUH", "plain frame to an encrypted account"),
        "bad CRC": (genuine[:1] + f"{(crc16_arc(genuine[9:-1]) ^ 0x5A5A):04X}".encode() + genuine[5:], None, "CRC"),
    }
    replies = {name: exchange(rx.port, frame) for name, (frame, _e, _r) in cases.items()}
    for name, (_frame, expected, _reason) in cases.items():
        got = replies[name][0] if replies[name] else None
        assert got == expected, f"{name}: expected {expected}, got {replies[name]}"

    rows = journal(cluster, account)
    raws = {raw: (seq, outcome, reply, reason) for seq, outcome, reply, reason, raw in rows}
    for name, (frame, expected, reason_words) in cases.items():
        assert frame in raws, f"{name}: the raw frame is not in the journal"
        _seq, outcome, reply, reason = raws[frame]
        assert outcome == "rejected", f"{name}: journaled as {outcome}"
        assert reason_words.lower() in reason.lower(), f"{name}: reason {reason!r}"
        assert (reply or None) == expected, f"{name}: journaled reply {reply!r}"
    outcomes = [(seq, outcome) for seq, outcome, _reply, _reason, raw in rows if raw == genuine]
    assert outcomes == [("0101", "accepted"), ("0101", "duplicate")]

    # Only the genuine frame may reach the alarm pipeline.
    accepted_events = cluster.sql(
        "SELECT count(*) FROM alarms_signalevent e JOIN alarms_signal s ON s.id = e.signal_id "
        f"WHERE s.account = '{account}' AND s.outcome = 'accepted'")
    assert accepted_events == [("1",)]
