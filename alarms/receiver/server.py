"""asyncio TCP and UDP listeners of the receiver.

Per TCP connection: a framing buffer (several frames per read, frames split
across reads), replies strictly in arrival order and only once the frame is
committed, a cap on frames in flight (reading pauses beyond it), an idle
timeout and a partial-frame timeout. Per address: a connection cap and a
frame-rate limit. A frame that fails to commit gets no reply and its
connection is closed, so the panel retransmits or fails over.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from dataclasses import dataclass

from alarms.dc09.framing import Chunk, FrameBuffer
from alarms.receiver.decide import Record, decide
from alarms.receiver.directory import Directory
from alarms.receiver.store import Writer

logger = logging.getLogger(__name__)
UTC = dt.UTC


@dataclass
class Limits:
    max_connections_per_address: int = 64
    frames_per_second_per_address: float = 200.0
    burst_per_address: float = 400.0
    idle_timeout: float = 900.0        # longer than any panel's poll interval
    partial_timeout: float = 5.0       # a frame must complete within this
    max_in_flight: int = 64            # per TCP connection
    max_errors_per_connection: int = 50


class AddressState:
    __slots__ = ("connections", "tokens", "updated", "dropped", "last_drop_journal")

    def __init__(self, burst: float):
        self.connections = 0
        self.tokens = burst
        self.updated = time.monotonic()
        self.dropped = 0
        self.last_drop_journal = 0.0


class Receiver:
    """Shared state of one receiver process: directory, writer, limits, counters."""

    def __init__(self, *, name: str, directory: Directory, limits: Limits | None = None, writers: int = 2,
                 max_batch: int = 500):
        self.name = name
        self.directory = directory
        self.limits = limits or Limits()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.writer = Writer(receiver_name=name, deliver=self._deliver_threadsafe, writers=writers,
                             max_batch=max_batch)
        self.addresses: dict[str, AddressState] = {}
        self.connections: set[TcpConnection] = set()
        self.frames = 0
        self.last_frame_at: dt.datetime | None = None
        self.closing = False

    # --- address limits -----------------------------------------------------------------
    def address(self, host: str) -> AddressState:
        state = self.addresses.get(host)
        if state is None:
            state = self.addresses[host] = AddressState(self.limits.burst_per_address)
        return state

    def allow_frame(self, host: str, peer: str, transport: str) -> bool:
        state = self.address(host)
        now = time.monotonic()
        state.tokens = min(self.limits.burst_per_address,
                           state.tokens + (now - state.updated) * self.limits.frames_per_second_per_address)
        state.updated = now
        if state.tokens >= 1:
            state.tokens -= 1
            return True
        state.dropped += 1
        if now - state.last_drop_journal >= 10:
            # One journal row per address every 10 s, not one per dropped frame.
            state.last_drop_journal = now
            self.journal_only(peer, transport, b"", f"rate limit: {state.dropped} frame(s) dropped from {host}")
            state.dropped = 0
        return False

    def journal_only(self, peer: str, transport: str, raw: bytes, reason: str) -> None:
        record = Record(received_at=dt.datetime.now(UTC), transport=transport, peer=peer, raw=raw[:4105],
                        reason=reason[:200])
        record.reply = None
        self.writer.submit(record)

    # --- frames ---------------------------------------------------------------------------
    def handle(self, chunk: Chunk, *, peer: str, transport: str, sink) -> None:
        now = dt.datetime.now(UTC)
        self.frames += 1
        self.last_frame_at = now
        try:
            record = decide(chunk, peer=peer, transport=transport, directory=self.directory, now=now,
                            receiver_name=self.name)
        except Exception as exc:  # never let one frame stop the receiver
            logger.exception("receiver: frame from %s could not be handled", peer)
            record = Record(received_at=now, transport=transport, peer=peer, raw=chunk.raw,
                            reason=f"internal error: {type(exc).__name__}")
        record.sink = sink
        if sink is not None:
            sink.expect(record)
        self.writer.submit(record)

    def _deliver_threadsafe(self, batch: list[Record], ok: bool) -> None:
        if self.loop is not None and not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self._deliver, batch, ok)
            except RuntimeError:
                pass

    def _deliver(self, batch: list[Record], ok: bool) -> None:
        for record in batch:
            sink = record.sink
            if sink is not None:
                sink.committed(record, ok)


class TcpConnection(asyncio.Protocol):
    def __init__(self, receiver: Receiver):
        self.rx = receiver
        self.transport: asyncio.Transport | None = None
        self.framer = FrameBuffer()
        self.pending: deque[list] = deque()  # [record, done, ok] in arrival order
        self.peer = ""
        self.host = ""
        self.last_activity = time.monotonic()
        self.partial_since: float | None = None
        self.errors = 0
        self.paused = False
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        host, port = transport.get_extra_info("peername")[:2]
        self.host, self.peer = host, f"{host}:{port}"
        state = self.rx.address(host)
        if self.rx.closing:
            self.closed = True
            transport.abort()
            return
        if state.connections >= self.rx.limits.max_connections_per_address:
            self.rx.journal_only(self.peer, "tcp", b"", f"connection refused: more than "
                                 f"{self.rx.limits.max_connections_per_address} connections from {host}")
            self.closed = True
            transport.abort()
            return
        state.connections += 1
        self.rx.connections.add(self)

    def connection_lost(self, exc) -> None:
        if self in self.rx.connections:
            self.rx.connections.discard(self)
            self.rx.address(self.host).connections -= 1
        self.closed = True

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_activity = time.monotonic()
        for chunk in self.framer.feed(data):
            if chunk.error:
                self.errors += 1
                if self.errors > self.rx.limits.max_errors_per_connection:
                    self.rx.journal_only(self.peer, "tcp", chunk.raw, "too many framing errors: connection closed")
                    self.close()
                    return
            if not self.rx.allow_frame(self.host, self.peer, "tcp"):
                continue
            self.rx.handle(chunk, peer=self.peer, transport="tcp", sink=self)
        self.partial_since = (self.partial_since or time.monotonic()) if len(self.framer) else None
        if len(self.pending) >= self.rx.limits.max_in_flight and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    # sink protocol ------------------------------------------------------------------------
    def expect(self, record: Record) -> None:
        self.pending.append([record, False, False])

    def committed(self, record: Record, ok: bool) -> None:
        for item in self.pending:
            if item[0] is record:
                item[1], item[2] = True, ok
                break
        while self.pending and self.pending[0][1]:
            rec, _done, ok = self.pending.popleft()
            if self.closed:
                continue
            if not ok:
                # Not committed: no reply, close; the panel retransmits or fails over.
                self.close()
                return
            if rec.reply:
                self.transport.write(rec.reply)
        if self.paused and len(self.pending) < self.rx.limits.max_in_flight // 2 and not self.closed:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    def check_timeouts(self, now: float) -> None:
        limits = self.rx.limits
        if self.partial_since is not None and now - self.partial_since > limits.partial_timeout:
            raw = bytes(self.framer.buf)
            self.framer.buf.clear()
            self.partial_since = None
            self.rx.journal_only(self.peer, "tcp", raw, "partial frame timeout")
        if now - self.last_activity > limits.idle_timeout and not self.pending:
            self.close()


class UdpEndpoint(asyncio.DatagramProtocol):
    """One datagram, one frame; the reply goes to the datagram's source."""

    def __init__(self, receiver: Receiver):
        self.rx = receiver
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        host, port = addr[:2]
        peer = f"{host}:{port}"
        if not self.rx.allow_frame(host, peer, "udp"):
            return
        chunks = FrameBuffer().feed(data)
        if not chunks:
            self.rx.journal_only(peer, "udp", data[:4105], "datagram without a complete frame")
            return
        sink = _UdpSink(self.transport, addr)
        for chunk in chunks[:1]:
            self.rx.handle(chunk, peer=peer, transport="udp", sink=sink)


class _UdpSink:
    __slots__ = ("transport", "addr")

    def __init__(self, transport, addr):
        self.transport, self.addr = transport, addr

    def expect(self, record: Record) -> None:
        pass

    def committed(self, record: Record, ok: bool) -> None:
        if ok and record.reply and not self.transport.is_closing():
            self.transport.sendto(record.reply, self.addr)
