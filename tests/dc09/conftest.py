"""A real receiver process on a free port, and a tiny DC-09 panel to talk to it."""

from __future__ import annotations

import socket

import pytest

from alarms.dc09.framing import FrameBuffer


class Panel:
    """A stop-and-wait TCP panel: send bytes, read reply frames."""

    def __init__(self, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.framer = FrameBuffer()
        self.replies: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, n: int = 1, timeout: float = 5.0) -> list[bytes]:
        self.sock.settimeout(timeout)
        while len(self.replies) < n:
            data = self.sock.recv(65536)
            if not data:
                break
            self.replies.extend(c.raw for c in self.framer.feed(data))
        out, self.replies = self.replies[:n], self.replies[n:]
        return out

    def nothing(self, wait: float = 0.6) -> bool:
        """True when no reply comes within ``wait`` seconds (and the socket stays open)."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return True
        return not data and False

    def exchange(self, frame: bytes, timeout: float = 5.0) -> bytes | None:
        self.send(frame)
        got = self.read(1, timeout)
        return got[0] if got else None

    def close(self):
        self.sock.close()


def udp_exchange(port: int, frame: bytes, timeout: float = 3.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(frame, ("127.0.0.1", port))
        try:
            return sock.recvfrom(65536)[0]
        except TimeoutError:
            return None


@pytest.fixture(scope="module")
def shared_receiver(django_db_setup, django_db_blocker, tmp_path_factory):
    """One receiver for a whole module (start-up is most of a socket test's time). It
    reloads transmitters every 0.3 s; use ``known(port)`` after creating them."""
    import os
    import sys

    from arc.embedded import free_port
    from tests.processes import BASE_DIR, Process, test_database_url

    with django_db_blocker.unblock():
        url = test_database_url()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, ARC_DC09_REFRESH_SECONDS="0.5")
    proc = Process([sys.executable, str(BASE_DIR / "manage.py"), "run_receiver", "--port", str(port), "--name",
                    "rxshared"], env, port, tmp_path_factory.mktemp("rx") / "receiver.log").start()
    yield proc, port
    proc.stop()


def known(port: int = 0) -> None:
    """Give a shared receiver the time to reload the transmitters a test just created."""
    import time
    time.sleep(1.5)


@pytest.fixture
def receiver(arc_process):
    """Start ``run_receiver`` (after the test created its transmitters); returns (process, port)."""
    def start(name: str = "rxtest", **env):
        port = arc_process.free_port()
        proc = arc_process("run_receiver", "--port", str(port), "--name", name, port=port, env=env)
        return proc, port
    return start


@pytest.fixture
def panel_factory():
    panels = []

    def make(port):
        p = Panel(port)
        panels.append(p)
        return p
    yield make
    for p in panels:
        p.close()
