"""No byte string makes the receiver raise or stop (hypothesis); limits hold."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarms.dc09 import replies
from alarms.dc09.framing import FrameBuffer
from alarms.models import Signal
from alarms.receiver.decide import decide
from alarms.receiver.directory import Directory, TxInfo
from tests.builders import make_site, make_transmitter

GOOD = replies.event_frame("SIA-DCS", "0001", "", "L0", "5A3C", "#5A3C|NBA1")


def _directory() -> Directory:
    d = Directory()
    key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    d._by_account = {"5A3C": [TxInfo(1, 1, "5A3C", "", "", "none", None, None, False, False, True)],
                     "9101": [TxInfo(2, 1, "9101", "", "", "aes128", key, None, False, False, True)]}
    return d


frame_like = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda a, b: a + GOOD + b, st.binary(max_size=50), st.binary(max_size=50)),
    st.builds(lambda span: replies.wrap(span), st.binary(max_size=300)),
    st.builds(lambda tail: replies.wrap(b'"SIA-DCS"0001L0#5A3C[' + tail), st.binary(max_size=200)),
    st.builds(lambda tail: replies.wrap(b'"*SIA-DCS"0001L0#9101[' + tail), st.binary(max_size=200)),
    st.builds(lambda tail: replies.wrap(b'"ADM-CID"0001L0#5A3C[#5A3C|' + tail), st.binary(max_size=40)),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frame_like, min_size=1, max_size=6), st.integers(min_value=1, max_value=64))
def test_framing_and_decision_never_raise(parts, cut):
    directory = _directory()
    stream = b"".join(parts)
    buffer = FrameBuffer()
    now = dt.datetime.now(dt.UTC)
    for i in range(0, len(stream), cut):
        for chunk in buffer.feed(stream[i:i + cut]):
            record = decide(chunk, peer="p", transport="tcp", directory=directory, now=now)
            assert record.outcome in ("accepted", "rejected")
            assert len(chunk.raw) <= 4105
            if record.reply:
                assert record.reply.startswith(b"\n") and record.reply.endswith(b"\r")
                assert b"RSP" not in record.reply[:20] and b"[K" not in record.reply
    assert len(buffer) <= 4105 + cut


@pytest.mark.django_db(transaction=True)
def test_receiver_survives_random_bytes_over_tcp(receiver, panel_factory):
    make_transmitter(make_site(), "5A3C")
    proc, port = receiver()
    seen = []

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
    @given(st.lists(frame_like, min_size=1, max_size=4))
    def blast(parts):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(b"".join(parts))
            seen.append(1)

    blast()
    assert proc.alive
    panel = panel_factory(port)
    assert panel.exchange(GOOD) == replies.ack("0001", "", "L0", "5A3C")
    assert Signal.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_connection_cap_and_rate_limit_per_address(receiver, panel_factory):
    make_transmitter(make_site(), "5A3C")
    proc, port = receiver(ARC_DC09_MAX_CONN_PER_ADDRESS="3", ARC_DC09_RATE_PER_ADDRESS="20")
    socks = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(5)]
    refused = 0
    for s in socks[3:]:
        s.settimeout(2)
        try:
            refused += s.recv(10) == b""
        except ConnectionResetError:
            refused += 1
    assert refused == 2
    for s in socks:
        s.close()
    # A flood of 500 frames from one address: bounded, journaled as a rate-limit row, receiver alive.
    flood = b"".join(replies.event_frame("SIA-DCS", f"{i % 9000 + 1:04d}", "", "L0", "5A3C", f"#5A3C|NBA{i}")
                     for i in range(500))
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(flood)
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Signal.objects.filter(reason__startswith="rate limit").exists():
        time.sleep(0.1)
    assert Signal.objects.filter(reason__startswith="rate limit").exists()
    assert Signal.objects.filter(reason__startswith="connection refused").exists()
    assert Signal.objects.filter(outcome="accepted").count() < 500
    assert proc.alive
