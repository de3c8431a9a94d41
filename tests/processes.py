"""Run real ARC processes (web, receiver, worker…) against the test database.

Processes see only committed data, so tests that use them need
``transactional_db``. ``arc_process`` starts a ``manage.py`` command (or any
argv) with the test database and Redis in its environment, waits for its port
when given one, and stops it (SIGTERM, then SIGKILL) at teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from arc.embedded import free_port, port_open

BASE_DIR = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class Process:
    def __init__(self, argv: list[str], env: dict, port: int | None, log: Path):
        self.argv = argv
        self.env = env
        self.port = port
        self.log = log
        self.popen: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Process:
        out = open(self.log, "ab")
        self.popen = subprocess.Popen(self.argv, env=self.env, cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        if self.port:
            deadline = time.monotonic() + timeout
            while not port_open(self.port):
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.argv} exited early:\n{self.output()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.argv} not listening on {self.port}:\n{self.output()[-3000:]}")
                time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.popen is None or self.popen.poll() is not None:
            return self.popen.returncode if self.popen else None
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            return self.popen.wait(5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@pytest.fixture
def arc_process(tmp_path, transactional_db):
    """Factory: arc_process("run_web", "--port", port, port=port, env={...})."""
    started: list[Process] = []

    def start(*args: str, port: int | None = None, env: dict | None = None, python_module: bool = False) -> Process:
        full_env = dict(os.environ)
        full_env["DATABASE_URL"] = test_database_url()
        full_env.update(env or {})
        if python_module:
            argv = [sys.executable, "-m", *args]
        else:
            argv = [sys.executable, str(BASE_DIR / "manage.py"), *args]
        name = "-".join(a.strip("-").replace("/", "_") for a in args[:2])
        process = Process(argv, full_env, port, tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process.start()

    start.free_port = free_port
    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture
def web_server(arc_process):
    """A real daphne (HTTP + WebSocket) against the test database; yields its base URL."""
    port = free_port()
    arc_process("run_web", "--port", str(port), port=port)
    return f"http://127.0.0.1:{port}"
