"""Fault test: SIGKILL the receiver while panels are mid-stream, restart it.
Every frame a panel saw ACKed is in the journal exactly once (accepted)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from alarms.dc09 import replies
from alarms.dc09.framing import FrameBuffer
from alarms.dc09.message import parse
from alarms.models import Signal
from tests.builders import make_site, make_transmitter

pytestmark = pytest.mark.django_db(transaction=True)
PANELS = 8


def panel_loop(port: int, account: str, stop: threading.Event, ledger: list):
    """Stop-and-wait panel; on any failure it reconnects and retransmits the same frame."""
    n = 1
    sock = None
    framer = FrameBuffer()
    while not stop.is_set():
        frame = replies.event_frame("SIA-DCS", f"{n:04d}", "", "L0", account, f"#{account}|NBA{n}")
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                framer = FrameBuffer()
            sock.sendall(frame)
            got = []
            while not got:
                data = sock.recv(4096)
                if not data:
                    raise ConnectionError("closed")
                got = framer.feed(data)
            reply = parse(got[0].raw)
            if reply.token == "ACK" and reply.sequence == f"{n:04d}":
                ledger.append((account, f"{n:04d}", f"#{account}|NBA{n}"))
                n += 1
        except OSError:
            if sock is not None:
                sock.close()
            sock = None
            time.sleep(0.05)
    if sock is not None:
        sock.close()


def test_sigkill_mid_stream_loses_no_acked_frame(arc_process):
    site = make_site()
    accounts = [f"{0xA000 + i:X}" for i in range(PANELS)]
    for account in accounts:
        make_transmitter(site, account)
    port = arc_process.free_port()
    first = arc_process("run_receiver", "--port", str(port), "--name", "rxkill", port=port)
    stop = threading.Event()
    ledger: list = []
    threads = [threading.Thread(target=panel_loop, args=(port, a, stop, ledger)) for a in accounts]
    for t in threads:
        t.start()
    time.sleep(2.0)
    before = len(ledger)
    first.kill()  # SIGKILL, mid-stream
    time.sleep(0.5)
    arc_process("run_receiver", "--port", str(port), "--name", "rxkill", port=port)
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(10)
    assert before > 20 and len(ledger) > before, (before, len(ledger))
    accepted = {}
    for account, seq, payload in Signal.objects.filter(outcome="accepted").values_list("account", "sequence",
                                                                                        "payload"):
        accepted[(account, seq, payload)] = accepted.get((account, seq, payload), 0) + 1
    missing = [entry for entry in ledger if accepted.get(entry) != 1]
    assert not missing, f"{len(missing)} ACKed frames not journaled exactly once: {missing[:5]}"
