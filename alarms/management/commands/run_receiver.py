"""``manage.py run_receiver``: the SIA DC-09 receiver (TCP and UDP on one port)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from alarms.receiver.directory import Directory
from alarms.receiver.server import Limits, Receiver, TcpConnection, UdpEndpoint

logger = logging.getLogger("alarms.receiver")


class Command(BaseCommand):
    help = "Run the SIA DC-09 receiver (TCP and UDP); ACKs only after commit."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.DC09_PORT)
        parser.add_argument("--bind", default=settings.DC09_BIND)
        parser.add_argument("--name", default=settings.RECEIVER_NAME)
        parser.add_argument("--writers", type=int, default=settings.DC09_WRITERS)
        parser.add_argument("--max-batch", type=int, default=settings.DC09_MAX_BATCH)
        parser.add_argument("--no-udp", action="store_true")
        parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                            help="event loop: uvloop (libuv, the default: less CPU per frame) or asyncio's own")

    def handle(self, *args, **opts):
        directory = Directory(refresh_seconds=settings.DC09_REFRESH_SECONDS)
        count = directory.load()
        limits = Limits(
            max_connections_per_address=settings.DC09_MAX_CONNECTIONS_PER_ADDRESS,
            frames_per_second_per_address=settings.DC09_RATE_PER_ADDRESS,
            burst_per_address=settings.DC09_RATE_PER_ADDRESS * 2,
            idle_timeout=settings.DC09_IDLE_TIMEOUT,
            partial_timeout=settings.DC09_PARTIAL_TIMEOUT,
        )
        receiver = Receiver(name=opts["name"][:32], directory=directory, limits=limits, writers=opts["writers"],
                            max_batch=opts["max_batch"])
        stop = threading.Event()
        refresher = threading.Thread(target=directory.run_refresher, args=(stop,), name="directory", daemon=True)
        refresher.start()
        receiver.writer.start()
        logger.info("receiver %s: %d transmitters; listening on %s:%s (TCP%s)", receiver.name, count,
                    opts["bind"], opts["port"], "" if opts["no_udp"] else " and UDP")
        try:
            if opts["loop"] == "uvloop":
                import uvloop
                uvloop.run(self.serve(receiver, opts))
            else:
                asyncio.run(self.serve(receiver, opts))
        finally:
            stop.set()
            directory._wanted.set()
            receiver.writer.stop()

    async def serve(self, receiver: Receiver, opts) -> None:
        loop = asyncio.get_running_loop()
        receiver.loop = loop
        server = await loop.create_server(lambda: TcpConnection(receiver), opts["bind"], opts["port"],
                                          reuse_address=True, backlog=1024)
        udp = None
        if not opts["no_udp"]:
            udp, _ = await loop.create_datagram_endpoint(lambda: UdpEndpoint(receiver),
                                                         local_addr=(opts["bind"], opts["port"]))
        done = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        ticker = asyncio.create_task(self.tick(receiver))
        await done.wait()
        logger.info("receiver %s: stopping", receiver.name)
        receiver.closing = True
        server.close()
        for conn in list(receiver.connections):
            conn.transport.pause_reading()
        # Frames already queued still commit and get their reply, within a bound.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(c.pending for c in receiver.connections):
            await asyncio.sleep(0.02)
        for conn in list(receiver.connections):
            conn.close()
        if udp is not None:
            udp.close()
        ticker.cancel()

    async def tick(self, receiver: Receiver) -> None:
        last_beat = 0.0
        while True:
            await asyncio.sleep(1)
            now = time.monotonic()
            for conn in list(receiver.connections):
                conn.check_timeouts(now)
            if now - last_beat >= 5:
                last_beat = now
                _beat(receiver)


def _beat(receiver: Receiver) -> None:
    try:
        from arc.heartbeat import beat
    except ImportError:
        return
    beat(f"receiver:{receiver.name}", {
        "last_frame_at": receiver.last_frame_at.isoformat() if receiver.last_frame_at else None,
        "frames": receiver.frames, "batches": receiver.writer.batches,
        "commit_failures": receiver.writer.failures, "connections": len(receiver.connections),
    })
