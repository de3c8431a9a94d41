"""A frame through the real receiver and the real intake worker becomes an alarm
(feed row + logbook), woken by NOTIFY rather than by the poll."""

from __future__ import annotations

import socket
import time

import pytest

from alarms.dc09 import replies
from alarms.models import Alarm, AlarmEvent, Signal
from logbook.models import LogEntry
from tests.builders import make_site, make_transmitter, make_zone

pytestmark = pytest.mark.django_db(transaction=True)


def test_frame_to_alarm_through_receiver_and_worker(arc_process):
    site = make_site()
    make_transmitter(site, "5A3C")
    make_zone(site, "17", label="Entrée")
    port = arc_process.free_port()
    arc_process("run_receiver", "--port", str(port), port=port)
    # A poll of 30 s: an alarm within a second proves the NOTIFY wake-up.
    worker = arc_process("run_intake", env={"ARC_INTAKE_POLL_SECONDS": "30"})
    deadline = time.monotonic() + 30
    while "started" not in worker.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # LISTEN is issued before the log line; leave it a moment
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for seq, data in (("0042", "#5A3C|Nri2/BA17"), ("0043", "#5A3C|Nri2/BH17")):
            sent = time.monotonic()
            sock.sendall(replies.event_frame("SIA-DCS", seq, "R1", "L2", "5A3C", data))
            assert sock.recv(100) == replies.ack(seq, "R1", "L2", "5A3C")
            deadline = sent + 5
            while time.monotonic() < deadline and Signal.objects.filter(sequence=seq, process_state="pending").exists():
                time.sleep(0.01)
            latency = time.monotonic() - sent
            assert latency < 1.5, latency
        sock.sendall(replies.event_frame("SIA-DCS", "0001", "", "L0", "BEEF", "#BEEF|NBA1"))
        assert sock.recv(100) == replies.ack("0001", "", "L0", "BEEF")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Alarm.objects.count() < 2:
        time.sleep(0.05)
    alarm = Alarm.objects.get(site=site)
    assert alarm.code == "BA" and alarm.zone.label == "Entrée" and alarm.restored_at is not None
    assert list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True)) == ["created", "restore"]
    assert LogEntry.objects.filter(action="alarm.created", alarm_id=alarm.pk).exists()
    unknown = Alarm.objects.get(kind=Alarm.Kind.UNKNOWN_TRANSMITTER)
    assert unknown.account == "BEEF" and unknown.priority == 5
