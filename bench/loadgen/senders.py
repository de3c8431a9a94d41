"""DC-09 load: ``python -m bench.loadgen.senders --spec spec.json --out result.json``.

The spec says which receivers to use, which accounts poll and how often, the
alarm rate, and optional extra phases (the storm). Each connection is one
persistent TCP session that sends a frame and waits for its reply (as a
communicator does); many run concurrently. Frames are built with the fault
harness's independent DC-09 implementation. The process stops at the spec's
end time or when the stop file appears, then writes its figures.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

from bench.loadgen import run
from tests.faults.harness.dc09 import Panel, parse_reply

REPLY_TIMEOUT = 10.0


class Stats:
    def __init__(self):
        self.latencies: dict[str, list[float]] = {}
        self.replies: dict[str, dict[str, int]] = {}
        self.timeouts: dict[str, int] = {}
        self.sent: dict[str, int] = {}
        self.acked_events: list[tuple[str, str, float]] = []  # (account, sequence, acked_at) of alarm events

    def record(self, phase: str, token: str | None, latency: float) -> None:
        self.sent[phase] = self.sent.get(phase, 0) + 1
        if token is None:
            self.timeouts[phase] = self.timeouts.get(phase, 0) + 1
            return
        self.replies.setdefault(phase, {})
        self.replies[phase][token] = self.replies[phase].get(token, 0) + 1
        if token in ("ACK", "*ACK"):
            self.latencies.setdefault(phase, []).append(latency)


class Connection:
    """One persistent TCP session to a receiver (primary, then backup on failure)."""

    def __init__(self, addresses: list[tuple[str, int]]):
        self.addresses = addresses
        self.index = 0
        self.reader = self.writer = None
        self.buffer = bytearray()
        self.lock = asyncio.Lock()

    async def _connect(self):
        host, port = self.addresses[self.index % len(self.addresses)]
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        self.buffer = bytearray()

    def _drop(self, failover: bool) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
        if failover:
            self.index += 1

    async def _read_frame(self) -> bytes:
        while True:
            start = self.buffer.find(b"\n")
            if start >= 0 and len(self.buffer) >= start + 9:
                end = start + 9 + int(self.buffer[start + 6:start + 9], 16)
                if len(self.buffer) > end:
                    frame = bytes(self.buffer[start:end + 1])
                    del self.buffer[:end + 1]
                    return frame
            chunk = await self.reader.read(4096)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    async def exchange(self, frame: bytes, sequence: str) -> tuple[str | None, float]:
        async with self.lock:
            started = time.perf_counter()
            try:
                if self.writer is None:
                    await self._connect()
                self.writer.write(frame)
                deadline = time.monotonic() + REPLY_TIMEOUT
                while True:
                    reply = await asyncio.wait_for(self._read_frame(), max(0.01, deadline - time.monotonic()))
                    token, seq = parse_reply(reply)
                    if token == "NAK" or seq == sequence:
                        return token, time.perf_counter() - started
            except (OSError, TimeoutError, ConnectionError, ValueError):
                self._drop(failover=True)
                return None, time.perf_counter() - started


async def poller(conn: Connection, panels: list[Panel], period: float, stats: Stats, stop_at: float, stop_file: Path):
    """Each panel sends a NULL poll every ``period`` seconds, spread evenly."""
    offset = random.random() * period
    slot = period / max(1, len(panels))
    next_round = time.monotonic() + offset % slot
    while time.monotonic() < stop_at and not stop_file.exists():
        for n, panel in enumerate(panels):
            due = next_round + n * slot
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            if time.monotonic() >= stop_at:
                return
            token, latency = await conn.exchange(panel.null(), "0000")
            stats.record("poll", token, latency)
        next_round += period


async def alarmer(conn: Connection, panels: list[Panel], rate: float, phase: str, stats: Stats, start_at: float,
                  stop_at: float, stop_file: Path, code: str = "BA"):
    """Events at ``rate`` per second from random panels of this connection, retried until ACKed."""
    while time.monotonic() < start_at:
        await asyncio.sleep(min(0.5, start_at - time.monotonic()))
    interval = 1.0 / rate
    next_at = time.monotonic() + random.random() * interval
    while time.monotonic() < stop_at and not stop_file.exists():
        pause = next_at - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        next_at += interval
        panel = random.choice(panels)
        sequence = panel.next_sequence()
        zone = f"{random.randint(1, 8):02d}"
        for _attempt in range(5):  # a panel retries the same sequence until ACKed
            token, latency = await conn.exchange(panel.event(sequence, code, zone), sequence)
            stats.record(phase, token, latency)
            if token in ("ACK", "*ACK"):
                stats.acked_events.append((panel.account, sequence, time.time()))
                break
        if time.monotonic() - next_at > 5:  # far behind: do not burst to catch up
            next_at = time.monotonic()


async def main_async(spec: dict, out: Path) -> None:
    stats = Stats()
    now = time.monotonic()
    stop_file = Path(spec["stop_file"])
    addresses = [tuple(a) for a in spec["receivers"]]
    tasks = []
    accounts = spec["poll_accounts"]
    n_conn = max(1, spec.get("poll_connections", 100))
    for i in range(n_conn):
        group = [Panel(a) for a in accounts[i::n_conn]]
        if group:
            # Half the panels have rx1 as primary, half rx2 (the other is their backup).
            conn = Connection(addresses[i % len(addresses):] + addresses[:i % len(addresses)])
            tasks.append(poller(conn, group, spec["poll_period"], stats, now + spec["duration"], stop_file))
    for phase in spec["phases"]:
        alarm_accounts = phase["accounts"]
        conns = phase["connections"]
        for i in range(conns):
            group = [Panel(a) for a in alarm_accounts[i::conns]]
            for panel in group:  # sequences unique within the run: start each panel at a random point
                panel._seq = random.randint(0, 5000)
            conn = Connection(addresses[i % len(addresses):] + addresses[:i % len(addresses)])
            tasks.append(alarmer(conn, group, phase["rate"] / conns, phase["name"], stats, now + phase["start"],
                                 now + phase["start"] + phase["duration"], stop_file, phase.get("code", "BA")))
    await asyncio.gather(*tasks)
    out.write_text(json.dumps({"latencies": stats.latencies, "replies": stats.replies, "timeouts": stats.timeouts,
                               "sent": stats.sent, "acked_events": stats.acked_events}))


if __name__ == "__main__":
    run(main_async)
