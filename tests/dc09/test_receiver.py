"""The receiver over real sockets: replies, journal, ACK after commit, dedup."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from alarms.dc09 import replies
from alarms.dc09.message import parse
from alarms.models import Signal, SignalEvent
from tests.builders import make_site, make_transmitter
from tests.dc09.conftest import known, udp_exchange

pytestmark = pytest.mark.django_db(transaction=True)

BA17 = b'\n6FC40027"SIA-DCS"0042R1L2#5A3C[#5A3C|Nri2/BA17]\r'
BA17_NO_R = b'\n133F0025"SIA-DCS"0042L2#5A3C[#5A3C|Nri2/BA17]\r'
CID_OPEN = b'\n84E60029"ADM-CID"0043R1L2#5A3C[#5A3C|1401 02 007]\r'
XDATA = b'\nD7490040"SIA-DCS"0044R1L2#5A3C[#5A3C|Nri2/BA17][XE002.35220][YN48.85660]\r'
NULL = b'\n61570015"NULL"0000R1L2#5A3C[]\r'
HEX_KEY = "00112233445566778899AABBCCDDEEFF"
NOW = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def plain_site(db):
    site = make_site()
    make_transmitter(site, "5A3C")
    return site


def test_worked_examples_acked_exactly(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    assert panel.exchange(BA17) == b'\n12890014"ACK"0042R1L2#5A3C[]\r'
    assert panel.exchange(BA17_NO_R) == b'\nA8110012"ACK"0042L2#5A3C[]\r'  # no R echoed, no R0/None
    assert panel.exchange(NULL) == b'\n517E0014"ACK"0000R1L2#5A3C[]\r'
    assert panel.exchange(CID_OPEN) == replies.ack("0043", "R1", "L2", "5A3C")
    assert panel.exchange(XDATA) == replies.ack("0044", "R1", "L2", "5A3C")
    # ACK after commit: by the time the ACK is read, the rows exist.
    signal = Signal.objects.get(sequence="0044")
    assert signal.outcome == "accepted" and signal.xdata == [["X", "E002.35220"], ["Y", "N48.85660"]]
    assert signal.process_state == "pending" and signal.site == plain_site
    assert bytes(signal.raw) == XDATA
    assert Signal.objects.get(sequence="0000").process_state == "none"
    # the retransmission with the same account + sequence + payload is a duplicate
    first = Signal.objects.get(sequence="0042", receiver_prefix="R1")
    second = Signal.objects.get(sequence="0042", receiver_prefix="")
    assert first.outcome == "accepted" and second.outcome == "duplicate" and second.duplicate_of == first.pk
    assert SignalEvent.objects.filter(signal=first).get().code == "BA"
    assert not SignalEvent.objects.filter(signal=second).exists()


def test_split_and_merged_frames_on_one_connection(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    f1 = replies.event_frame("SIA-DCS", "0101", "", "L0", "5A3C", "#5A3C|NBA1")
    f2 = replies.event_frame("SIA-DCS", "0102", "", "L0", "5A3C", "#5A3C|NBA2")
    f3 = replies.event_frame("SIA-DCS", "0103", "", "L0", "5A3C", "#5A3C|NBA3")
    stream = f1 + b"\x00" + f2 + f3
    panel.send(stream[:7])
    time.sleep(0.05)
    panel.send(stream[7:50])
    time.sleep(0.05)
    panel.send(stream[50:])
    got = panel.read(3)
    assert [parse(g).sequence for g in got] == ["0101", "0102", "0103"]  # in arrival order


def test_bad_crc_and_bad_length_get_no_reply_but_are_journaled(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    bad_crc = BA17.replace(b"6FC4", b"6FC5")
    panel.send(bad_crc)
    assert panel.nothing()
    good = replies.event_frame("SIA-DCS", "0200", "", "L0", "5A3C", "#5A3C|NBA1")
    bad_len = good[:5] + b"0019" + good[9:]  # CR no longer where the length says
    panel.send(bad_len)
    assert panel.nothing()
    # the connection still works and the receiver resynchronised
    assert panel.exchange(good) == replies.ack("0200", "", "L0", "5A3C")
    rejected = list(Signal.objects.filter(outcome="rejected").values_list("reason", flat=True))
    assert "CRC mismatch" in rejected and any("length" in r for r in rejected)


def test_crc_ok_length_field_wrong(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    span = b'"SIA-DCS"0300L0#5A3C[#5A3C|NBA1]'
    from alarms.dc09.crc import crc_hex
    # length says one byte more, and a CR sits there: framed, CRC fine on the span read, length mismatch
    frame = b"\n" + crc_hex(span + b"X").encode() + f"0{len(span) + 1:03X}".encode() + span + b"X\r"
    frame_bad = b"\n" + crc_hex(span).encode() + f"0{len(span) - 1:03X}".encode() + span + b"\r"
    panel.send(frame_bad)
    assert panel.nothing()
    assert panel.exchange(frame) == replies.duh("0300", "", "L0", "5A3C")  # data block then "X": malformed


def test_header_garbage_gets_fixed_nak_and_tokens(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    reply = panel.exchange(replies.wrap(b'"SIA-DCS"garbage'))
    assert reply.startswith(b'\n') and b'"NAK"0000R0L0A0[]_' in reply
    assert panel.exchange(replies.wrap(b'"SIA-PUL"0005L0#5A3C[#5A3C|x]')) == replies.duh("0005", "", "L0", "5A3C")
    panel.send(replies.ack("0001", "", "L0", "5A3C"))  # inbound ACK: no reply
    assert panel.nothing()


def test_hex_sequence_and_missing_or_bare_line_echoed(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    assert panel.exchange(replies.event_frame("SIA-DCS", "000A", "", "", "5A3C", "#5A3C|NBA1")) == \
        replies.ack("000A", "", "", "5A3C")
    assert panel.exchange(replies.event_frame("NULL", "0000", "", "L", "5A3C", "")) == \
        replies.ack("0000", "", "L", "5A3C")
    flags = Signal.objects.get(sequence="000A").flags
    assert "hex_sequence" in flags and "no_line" in flags


def test_unknown_account_acked_and_journaled(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    frame = replies.event_frame("SIA-DCS", "0007", "", "L0", "FFFF", "#FFFF|NBA1")
    assert panel.exchange(frame) == replies.ack("0007", "", "L0", "FFFF")
    signal = Signal.objects.get(account="FFFF")
    assert signal.outcome == "accepted" and signal.site is None and "unknown_account" in signal.flags
    assert signal.process_state == "pending"


@pytest.mark.parametrize("encryption,key_format,key", [
    ("aes128", "hex", HEX_KEY),
    ("aes192", "ascii", "ArcDemoKeyOf24Characters"),
    ("aes256", "ascii", "ArcDemoKeyOfThirtyTwoCharacters!"),
    ("aes256", "hex", HEX_KEY * 2),
])
def test_encrypted_frames(shared_receiver, panel_factory, encryption, key_format, key):
    from sites.models import key_to_bytes
    site = make_site()
    make_transmitter(site, "9101", key=key, encryption=encryption, key_format=key_format)
    raw_key = key_to_bytes(key, key_format)
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    frame = replies.event_frame("SIA-DCS", "0011", "R1", "L1", "9101", "#9101|NFA3|AKitchen", timestamp=NOW(),
                                key=raw_key)
    reply = panel.exchange(frame)
    message = parse(reply)
    assert message.token == "ACK" and message.encrypted and message.sequence == "0011"
    from alarms.dc09.crypto import decrypt_body
    decrypt_body(message, raw_key)  # the *ACK decrypts with the same key, with | and our timestamp
    assert message.data == "" and abs((message.timestamp - NOW()).total_seconds()) < 5
    assert b"[K" not in reply
    signal = Signal.objects.get(sequence="0011")
    assert signal.encrypted and signal.payload == "#9101|NFA3|AKitchen"
    event = signal.events.get()
    assert (event.code, event.zone, event.text, event.category) == ("FA", "3", "Kitchen", "fire")
    # stale timestamp → fixed NAK with our time; undecryptable → DUH; plain to encrypted account → DUH
    stale = replies.event_frame("SIA-DCS", "0012", "R1", "L1", "9101", "#9101|NBA1",
                                timestamp=NOW() - dt.timedelta(seconds=90), key=raw_key)
    assert b'"NAK"0000R0L0A0[]_' in panel.exchange(stale)
    wrong = replies.event_frame("SIA-DCS", "0013", "R1", "L1", "9101", "#9101|NBA1", timestamp=NOW(),
                                key=bytes(len(raw_key)))
    assert panel.exchange(wrong) == replies.duh("0013", "R1", "L1", "9101")
    plain = replies.event_frame("SIA-DCS", "0014", "R1", "L1", "9101", "#9101|NBA1")
    assert panel.exchange(plain) == replies.duh("0014", "R1", "L1", "9101")
    null = replies.event_frame("NULL", "0000", "R1", "L1", "9101", "", timestamp=NOW(), key=raw_key)
    assert parse(panel.exchange(null)).token == "ACK"
    reasons = dict(Signal.objects.filter(outcome="rejected").values_list("sequence", "reason"))
    assert "timestamp" in reasons["0012"] and "decryption" in reasons["0013"] and "plain" in reasons["0014"]


def test_key_format_hint(shared_receiver, panel_factory):
    site = make_site()
    make_transmitter(site, "9200", key=HEX_KEY, encryption="aes128", key_format="hex")
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    ascii_key = HEX_KEY.encode()  # the panel was set up with the ASCII reading (AES-256)
    frame = replies.event_frame("SIA-DCS", "0001", "", "L0", "9200", "#9200|NBA1", timestamp=NOW(), key=ascii_key)
    assert panel.exchange(frame) == replies.duh("0001", "", "L0", "9200")
    assert "other key format" in Signal.objects.get(account="9200").reason


def test_udp(shared_receiver, plain_site):
    _proc, port = shared_receiver
    known()
    assert udp_exchange(port, BA17) == b'\n12890014"ACK"0042R1L2#5A3C[]\r'
    assert udp_exchange(port, NULL) == b'\n517E0014"ACK"0000R1L2#5A3C[]\r'
    assert Signal.objects.filter(transport="udp").count() == 2


def test_nulls_never_deduplicated_and_update_supervision(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    for _ in range(3):
        assert panel.exchange(NULL) == b'\n517E0014"ACK"0000R1L2#5A3C[]\r'
    assert Signal.objects.filter(token="NULL", outcome="accepted").count() == 3
    tx = plain_site.transmitters.get()
    assert tx.last_seen_at is not None


def test_dedup_across_two_receivers(receiver, panel_factory, plain_site):
    _p1, port1 = receiver("rxA")
    _p2, port2 = receiver("rxB")
    frame = replies.event_frame("SIA-DCS", "0777", "", "L0", "5A3C", "#5A3C|NBA9")
    assert panel_factory(port1).exchange(frame) == replies.ack("0777", "", "L0", "5A3C")
    assert panel_factory(port2).exchange(frame) == replies.ack("0777", "", "L0", "5A3C")
    outcomes = sorted(Signal.objects.filter(sequence="0777").values_list("receiver", "outcome"))
    assert outcomes == [("rxA", "accepted"), ("rxB", "duplicate")]


def test_partial_frame_times_out_and_connection_survives(receiver, panel_factory, plain_site):
    _proc, port = receiver(ARC_DC09_PARTIAL_TIMEOUT="0.5")
    panel = panel_factory(port)
    panel.send(BA17[:20])
    assert wait_for(lambda: Signal.objects.filter(reason="partial frame timeout").exists(), 5)
    assert panel.exchange(BA17) == b'\n12890014"ACK"0042R1L2#5A3C[]\r'


def test_nul_and_cp1252_bytes_in_data_are_stored_and_acked(shared_receiver, panel_factory, plain_site):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    nul = replies.wrap(b'"SIA-DCS"0500L0#5A3C[#5A3C|NFA1|AK\x00itchen]')
    accent = replies.wrap(b'"SIA-DCS"0501L0#5A3C[#5A3C|NFA2|ACuisine \xe9tage][IS\xe9jour]')
    assert panel.exchange(nul) == replies.ack("0500", "", "L0", "5A3C")
    assert panel.exchange(accent) == replies.ack("0501", "", "L0", "5A3C")
    assert bytes(Signal.objects.get(sequence="0500").raw) == nul
    assert Signal.objects.get(sequence="0501").events.get().text == "Cuisine étage"
    assert Signal.objects.get(sequence="0501").xdata == [["I", "Séjour"]]


def test_several_processes_share_the_port_and_a_dead_one_is_replaced(receiver, panel_factory, plain_site):
    import os
    import signal

    import psutil

    proc, port = receiver("rxmulti", ARC_DC09_PROCESSES="2")
    parent = psutil.Process(proc.popen.pid)
    def listening(pid: int) -> bool:
        return any(c.laddr.port == port and c.status == psutil.CONN_LISTEN
                   for c in psutil.Process(pid).net_connections("tcp"))

    assert wait_for(lambda: len(parent.children()) == 2 and all(listening(c.pid) for c in parent.children()), 20)
    first_children = {c.pid for c in parent.children()}

    def exchange_all(start: int, count: int) -> None:
        panels = [panel_factory(port) for _ in range(count)]
        for n, panel in enumerate(panels, start):
            frame = replies.event_frame("SIA-DCS", f"{n:04d}", "", "L0", "5A3C", f"#5A3C|NBA{n % 90 + 1}")
            assert panel.exchange(frame) == replies.ack(f"{n:04d}", "", "L0", "5A3C")

    exchange_all(100, 16)
    # Both processes wrote: the kernel spread the 16 connections over them.
    assert wait_for(lambda: all(any(c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
                                    for c in psutil.Process(pid).net_connections("tcp"))
                                for pid in first_children), 5)
    assert Signal.objects.filter(receiver="rxmulti", outcome="accepted").count() == 16

    # A child killed outright is replaced; the port keeps answering meanwhile.
    victim = sorted(first_children)[0]
    os.kill(victim, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(victim)], timeout=5)
    exchange_all(200, 4)
    assert wait_for(lambda: len(parent.children()) == 2 and victim not in {c.pid for c in parent.children()}, 10)
    exchange_all(300, 8)
    assert Signal.objects.filter(receiver="rxmulti", outcome="accepted").count() == 28

    # SIGTERM to the supervisor alone stops every child.
    children = parent.children()
    os.kill(parent.pid, signal.SIGTERM)
    assert proc.popen.wait(15) == 0
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive
