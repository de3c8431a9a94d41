"""Third-party senders from PyPI against our receiver: my-dc09-spt and siadc09."""

from __future__ import annotations

import datetime as dt

import pytest
from my_dc09_spt.msg.dc03_msg import dc03_msg
from my_dc09_spt.msg.dc05_msg import dc05_msg
from my_dc09_spt.msg.dc09_msg import dc09_msg
from siadc09 import message as sia_message

from alarms.dc09.crypto import decrypt_body
from alarms.dc09.message import parse
from alarms.models import Signal
from tests.builders import make_site, make_transmitter
from tests.dc09.conftest import known, udp_exchange

pytestmark = pytest.mark.django_db(transaction=True)
KEY16 = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
KEY32 = b"ArcDemoKeyOfThirtyTwoCharacters!"


@pytest.fixture
def accounts(db):
    site = make_site()
    make_transmitter(site, "1234")
    make_transmitter(site, "5678", key=KEY16.hex().upper(), encryption="aes128", key_format="hex")
    make_transmitter(site, "9103", key=KEY32.decode(), encryption="aes256", key_format="ascii")
    make_transmitter(site, "9104", key="ArcDemoKeyOf24Characters", encryption="aes192", key_format="ascii")
    return site


def test_my_dc09_spt_plain_sia_and_cid_without_line(shared_receiver, panel_factory, accounts):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    spt = dc09_msg("1234")  # no receiver, no line: the frame has no L at all
    sia = spt.dc09block(1, "SIA-DCS", dc03_msg.dc03event("1234", {"code": "BA", "zone": 5, "area": 1}))
    reply = panel.exchange(sia.encode())
    assert spt.dc09answer(1, reply.decode())[0] == "ACK"
    cid = spt.dc09block(2, "ADM-CID", dc05_msg.dc05event("1234", {"code": 130, "q": 1, "zone": 7, "area": 2}))
    assert spt.dc09answer(2, panel.exchange(cid.encode()).decode())[0] == "ACK"
    poll = spt.dc09poll()
    assert spt.dc09answer(0, panel.exchange(poll.encode()).decode())[0] == "ACK"
    events = {(s.token, e.code, e.zone) for s in Signal.objects.filter(account="1234") for e in s.events.all()}
    assert ("SIA-DCS", "BA", "5") in events and ("ADM-CID", "130", "007") in events
    assert all("no_line" in s.flags for s in Signal.objects.filter(account="1234"))


def test_my_dc09_spt_encrypted_aes128_and_aes256(shared_receiver, panel_factory, accounts):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    for account, key in (("5678", KEY16), ("9103", KEY32)):
        spt = dc09_msg(account, key=key, receiver=1, line=2)
        frame = spt.dc09block(7, "ADM-CID", dc05_msg.dc05event(account, {"code": 110, "q": 1, "zone": 3}))
        answer, offset = spt.dc09answer(7, panel.exchange(frame.encode()).decode())
        assert answer == "ACK" and abs(offset) < 5  # *ACK decrypted by the sender, our UTC time inside
        null = spt.dc09poll()
        assert spt.dc09answer(0, panel.exchange(null.encode()).decode())[0] == "ACK"
    assert Signal.objects.filter(encrypted=True, outcome="accepted").count() == 4


def test_my_dc09_spt_stale_clock_gets_nak_then_retransmission_accepted(shared_receiver, panel_factory, accounts):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    spt = dc09_msg("5678", key=KEY16, line=0, offset=-120)  # panel clock 2 minutes slow
    event = dc05_msg.dc05event("5678", {"code": 130, "q": 1, "zone": 4})
    answer, offset = spt.dc09answer(9, panel.exchange(spt.dc09block(9, "ADM-CID", event).encode()).decode())
    assert answer == "NAK" and abs(offset) < 5  # our UTC time, read by the sender
    spt.set_offset(0)
    assert spt.dc09answer(9, panel.exchange(spt.dc09block(9, "ADM-CID", event).encode()).decode())[0] == "ACK"
    outcomes = list(Signal.objects.filter(account="5678").order_by("id").values_list("outcome", "reply"))
    assert outcomes == [("rejected", "NAK"), ("accepted", "*ACK")]


def test_siadc09_lowercase_ciphertext_binary_pad_all_key_sizes(shared_receiver, panel_factory, accounts):
    _proc, port = shared_receiver
    known()
    panel = panel_factory(port)
    cases = [("1234", None), ("5678", KEY16.hex()), ("9103", KEY32.hex()),
             ("9104", b"ArcDemoKeyOf24Characters".hex())]
    for seq, (account, key) in enumerate(cases, start=1):
        plain = f'"SIA-DCS"{seq:04d}L1#{account}[#{account}|Nri1/FA{seq}]'.encode()
        from alarms.dc09.replies import wrap
        msg = sia_message.parse_frame(wrap(plain))
        if key:
            msg.account.set_key(key)
        frame = msg.encode(timestamp=dt.datetime.now(dt.UTC), encrypt=bool(key))
        reply = panel.exchange(frame)
        parsed = parse(reply)
        assert parsed.token == "ACK" and parsed.sequence == f"{seq:04d}" and parsed.line == "L1"
        if key:
            decrypt_body(parsed, bytes.fromhex(key))
        # siadc09 itself reads our reply
        back = sia_message.parse_frame(reply, keys={msg.account.get_id(): msg.account} if key else None) \
            if not key else None
        if back is not None:
            assert back.idtoken == "ACK"
    assert Signal.objects.filter(outcome="accepted").count() == 4
    fire = Signal.objects.get(account="9104").events.get()
    assert (fire.code, fire.zone, fire.category) == ("FA", "4", "fire")


def test_siadc09_null_over_udp(shared_receiver, accounts):
    _proc, port = shared_receiver
    known()
    msg = sia_message.parse_frame(b'\n61570015"NULL"0000R1L2#5A3C[]\r')
    msg.account.acct = 0x1234
    reply = udp_exchange(port, msg.encode())
    assert parse(reply).token == "ACK"
