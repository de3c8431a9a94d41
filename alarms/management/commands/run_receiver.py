"""``manage.py run_receiver``: the SIA DC-09 receiver (TCP and UDP on one port)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
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
        parser.add_argument("--processes", type=int, default=settings.DC09_PROCESSES,
                            help="receiver processes sharing the port (SO_REUSEPORT), supervised by this one")
        parser.add_argument("--reuse-port", action="store_true",
                            help="bind with SO_REUSEPORT (set for the children of --processes)")
        parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                            help="event loop: uvloop (libuv, the default: less CPU per frame) or asyncio's own")

    def handle(self, *args, **opts):
        if opts["processes"] > 1:
            return supervise(opts)
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
                                          reuse_address=True, reuse_port=opts["reuse_port"], backlog=1024)
        udp = None
        if not opts["no_udp"]:
            udp, _ = await loop.create_datagram_endpoint(lambda: UdpEndpoint(receiver),
                                                         local_addr=(opts["bind"], opts["port"]),
                                                         reuse_port=opts["reuse_port"])
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
        "pid": os.getpid(),
    })


def supervise(opts) -> None:
    """``--processes N``: N receivers on the same port (the kernel spreads connections and
    datagrams over them with SO_REUSEPORT), each its own event loop, writer and database
    connection. A child that dies is restarted after a second; SIGTERM stops them all
    (each drains its committed replies first). A child dies with this process, at once
    (SIGKILL), so that a killed supervisor is a killed receiver, as with one process."""
    from arc.embedded import _die_with_parent

    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_receiver", "--processes", "1",
               "--reuse-port", "--port", str(opts["port"]), "--bind", opts["bind"], "--name", opts["name"],
               "--writers", str(opts["writers"]), "--max-batch", str(opts["max_batch"]), "--loop", opts["loop"]]
    if opts["no_udp"]:
        command.append("--no-udp")
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())

    def spawn():
        return subprocess.Popen(command, preexec_fn=_die_with_parent(signal.SIGKILL))

    children = [spawn() for _ in range(opts["processes"])]
    logger.info("receiver %s: %d processes on port %s", opts["name"], len(children), opts["port"])
    try:
        while not stopping.wait(0.5):
            for index, child in enumerate(children):
                if child.poll() is not None:
                    logger.error("receiver %s: process %d exited (%s); restarting it", opts["name"], child.pid,
                                 child.returncode)
                    time.sleep(1)
                    children[index] = spawn()
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
