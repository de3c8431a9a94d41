"""DC-09 primitives against the worked examples of PROTOCOLS.md (CRCs recomputed there)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alarms import codes
from alarms.dc09 import replies
from alarms.dc09.crc import crc16_arc, crc16_arc_table
from alarms.dc09.crypto import DecryptError, decrypt_body
from alarms.dc09.framing import FrameBuffer
from alarms.dc09.message import Problem, parse
from alarms.dc09.payload import PayloadError, decode

KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
ENC = (b'\n096A0078"*SIA-DCS"0045R1L2#5A3C[EE386184DB949E3D50C6EFA6B2B1B1BF5B3D43B9C2A4ACBA5A66B2C387ABC9FFE16BBAC3'
       b'3D7BB83B05F8344B693914E3\r')
ENC_NULL = b'\n121F0055"*NULL"0000R1L2#5A3C[5F915C39D105BC938207E58520C1CDC5939C3A37B6ADE184F9838895530C71AC\r'
ACK_EXAMPLE = b'\n7D960054"*ACK"0045R1L2#5A3C[C85FAE5996D36AF0BCFE88C86189A73DF6AE643A3D0CABBD8DB0FC290F7F0388\r'


def test_event_codes_identical_to_shared_copy():
    shared = Path(__file__).resolve().parents[3] / "shared" / "event_codes.csv"
    if not shared.exists():
        pytest.skip("../shared is not next to this checkout")
    assert codes.CSV_PATH.read_bytes() == shared.read_bytes()


@given(st.binary(max_size=600))
def test_compiled_crc_agrees_with_the_reference_table(data):
    assert crc16_arc(data) == crc16_arc_table(data)


def test_crc_check_value_and_examples():
    assert crc16_arc(b"123456789") == 0xBB3D
    assert crc16_arc_table(b"123456789") == 0xBB3D
    for frame in (b'\n6FC40027"SIA-DCS"0042R1L2#5A3C[#5A3C|Nri2/BA17]\r', ENC, ENC_NULL, ACK_EXAMPLE,
                  b'\n06210025"NAK"0000R0L0A0[]_14:03:27,03-15-2026\r'):
        assert parse(frame).problem in (Problem.NONE, Problem.INBOUND_REPLY), frame


def test_replies_exact():
    assert replies.ack("0042", "R1", "L2", "5A3C") == b'\n12890014"ACK"0042R1L2#5A3C[]\r'
    assert replies.ack("0042", "", "L2", "5A3C") == b'\nA8110012"ACK"0042L2#5A3C[]\r'
    assert replies.ack("0000", "R1", "L2", "5A3C") == b'\n517E0014"ACK"0000R1L2#5A3C[]\r'
    assert replies.duh("0042", "R1", "L2", "5A3C") == b'\n62510014"DUH"0042R1L2#5A3C[]\r'
    at = dt.datetime(2026, 3, 15, 14, 3, 27, tzinfo=dt.UTC)
    assert replies.nak(at) == b'\n06210025"NAK"0000R0L0A0[]_14:03:27,03-15-2026\r'


def test_decrypt_examples_and_our_encrypted_ack():
    message = parse(ENC)
    decrypt_body(message, KEY)
    assert message.data == "#5A3C|Nri2/BA17"
    assert message.timestamp == dt.datetime(2026, 3, 15, 14, 3, 27, tzinfo=dt.UTC)  # month-day-year
    null = parse(ENC_NULL)
    decrypt_body(null, KEY)
    assert null.data == "" and null.timestamp.minute == 5
    example = parse(ACK_EXAMPLE)
    decrypt_body(example, KEY)
    ours = parse(replies.ack_encrypted(KEY, "0045", "R1", "L2", "5A3C"))
    decrypt_body(ours, KEY)
    assert ours.data == "" and ours.timestamp is not None
    a, b = (replies.ack_encrypted(KEY, "0045", "R1", "L2", "5A3C") for _ in range(2))
    assert a[30:62] != b[30:62]  # random pad: first cipher block differs
    with pytest.raises(DecryptError):
        decrypt_body(parse(ENC), bytes(16))


def test_framing_split_merged_and_corrupt():
    f1 = replies.event_frame("SIA-DCS", "0001", "", "L0", "1", "#1|NBA1")
    f2 = replies.event_frame("ADM-CID", "0002", "R1", "L0", "1", "#1|1130 01 003")
    stream = b"garbage" + f1 + b"\x00\x00" + f2
    for cut in (1, 3, 7, len(stream)):
        buffer = FrameBuffer()
        out = []
        for i in range(0, len(stream), cut):
            out += buffer.feed(stream[i:i + cut])
        assert [c.raw for c in out] == [f1, f2]
    corrupt = f1[:10] + f1[12:]  # two bytes missing: CR not where the length says
    out = FrameBuffer().feed(corrupt + f2)
    assert out[0].error and out[-1].raw == f2


def test_dc03_and_contact_id_decoding():
    assert [(e["code"], e["zone"], e["area"]) for e in decode("SIA-DCS", "#5A3C|Nri2/BA17/BA18")[1]] == \
        [("BA", "17", "2"), ("BA", "18", "2")]
    assert decode("SIA-DCS", "#5A3C|Nri1OP4")[1][0]["user"] == "4"  # missing slash
    assert decode("SIA-DCS", "#5A3C|Nti08:15:30/ri1/CL4")[1][0]["panel_time"] == "08:15:30"
    old = decode("SIA-DCS", "#5A3C|OBA5|AOld entry")[1][0]
    assert old["old"] and old["text"] == "Old entry"
    cid = decode("ADM-CID", "#5A3C|3401 02 007")[1][0]
    assert (cid["qualifier"], cid["code"], cid["area"], cid["user"]) == ("3", "401", "02", "007")
    with pytest.raises(PayloadError):
        decode("ADM-CID", "#5A3C|hello")


@pytest.mark.parametrize("protocol,code,q,expected", [
    ("ADM-CID", "130", "1", ("alarm", 3, "new")),
    ("ADM-CID", "130", "3", ("restore", 7, "restore")),
    ("ADM-CID", "401", "3", ("openclose", 8, "new")),
    ("ADM-CID", "302", "6", ("trouble", 5, "status")),
    ("ADM-CID", "130", "2", ("alarm", 3, "new")),  # non-standard qualifier: flagged, as Q1
    ("ADM-CID", "999", "1", ("other", 5, "new")),  # unknown code: still an event, P5
    ("SIA-DCS", "BH", "", ("restore", 7, "restore")),
    ("SIA-DCS", "IZ", "", ("other", 5, "new")),
])
def test_classification(protocol, code, q, expected):
    c = codes.classify(protocol, code, q)
    assert (c.category, c.priority, c.qualifier) == expected


def test_binary_crc_variant_framed_by_length():
    span = b'"SIA-DCS"0001L0#5A3C[#5A3C|NBA1]'
    crc = crc16_arc(span)
    frame = b"\n" + crc.to_bytes(2, "big") + f"0{len(span):03X}".encode() + span + b"\r"
    chunks = FrameBuffer().feed(frame)
    assert len(chunks) == 1 and chunks[0].binary_crc and not chunks[0].error
    message = parse(chunks[0].raw, binary_crc=True)
    assert message.problem == Problem.NONE and "binary_crc" in message.flags
