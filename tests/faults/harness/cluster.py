"""A private ARC centre for fault injection: its own PostgreSQL and Redis, real processes.

The fault tests stop and kill PostgreSQL and Redis, so they cannot share the
suite's servers. A ``Cluster`` runs ``arc.embedded`` servers on free ports in
a temporary directory, migrates and seeds them with ``manage.py`` subprocesses
(once per session: later clusters copy that data directory), and starts ARC's
processes with their environment pointing there.

Every process runs in its own session; ``stop()`` and ``kill()`` signal the
whole process group, and ``Cluster.close()`` ends everything it started,
servers last.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, port_open

BASE_DIR = Path(__file__).resolve().parents[3]

# Fixed keys so every process of a cluster (and the template it was copied from) agrees.
FIELD_KEY = "3q2-Jc4wYqQ9QYz3o3mM3nWvC1cYgk9Gm3y6m5c7bq0="
SECRET_KEY = "fault-injection-only-not-a-secret-" + "x" * 30
# Passwords of the seeded staff (the cluster is private and thrown away).
PASSWORD = "fault-tests-password-1"


class Proc:
    """One ARC process: start, stop (SIGTERM), kill (SIGKILL), restart; output kept in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path, port: int | None = None):
        self.name, self.argv, self.env, self.log, self.port = name, argv, env, log, port
        self.popen: subprocess.Popen | None = None

    def start(self, timeout: float = 40, wait_port: bool = True) -> Proc:
        out = open(self.log, "ab")
        out.write(f"\n==== start {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
        out.flush()
        self.popen = subprocess.Popen(self.argv, env=self.env, cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        if self.port and wait_port:
            deadline = time.monotonic() + timeout
            while not port_open(self.port):
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.output()[-4000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not listening on {self.port}:\n{self.output()[-4000:]}")
                time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if not self.alive:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self, **kwargs) -> Proc:
        self.stop()
        return self.start(**kwargs)


class Cluster:
    def __init__(self, root: Path, *, template: Path | None = None, env: dict | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pg = EmbeddedPostgres(self.root / "pg", free_port(), fsync=False)
        self.redis = EmbeddedRedis(self.root / "redis", free_port(), persist=False)
        self.template = template
        self.procs: dict[str, Proc] = {}
        self.extra_env = env or {}

    # --- servers -------------------------------------------------------------------------------
    def start_servers(self) -> Cluster:
        self.pg.init(template=self.template)
        self.pg.start()
        self.redis.start()
        return self

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARC_") and k != "DJANGO_SETTINGS_MODULE"}
        env.update({
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "ARC_VAR_DIR": str(self.root / "var"),
            "ARC_DEBUG": "1",
            "ARC_FIELD_KEY": FIELD_KEY,
            "ARC_SECRET_KEY": SECRET_KEY,
            "ARC_LOGIN_THROTTLE": "0",
            "DJANGO_SETTINGS_MODULE": "arc.settings",
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        })
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, timeout: float = 180, env: dict | None = None) -> str:
        result = subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env={**self.env, **(env or {})},
                                cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def sql(self, query: str) -> list[tuple]:
        """Run SQL with psql against the cluster's database; rows as tuples of strings."""
        result = subprocess.run(
            [str(self.pg.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.pg.port), "-U", self.pg.user,
             "-d", self.pg.database, "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
            capture_output=True, text=True, timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]

    # --- ARC processes -------------------------------------------------------------------------
    def add(self, name: str, argv: list[str], *, port: int | None = None, env: dict | None = None) -> Proc:
        proc = Proc(name, argv, {**self.env, **(env or {})}, self.root / f"{name}.log", port)
        self.procs[name] = proc
        return proc

    def manage_argv(self, *args: str) -> list[str]:
        return [sys.executable, str(BASE_DIR / "manage.py"), *args]

    def receiver(self, name: str = "rx1", *, port: int | None = None, start: bool = True) -> Proc:
        port = port or free_port()
        proc = self.add(name, self.manage_argv("run_receiver"), port=port,
                        env={"ARC_RECEIVER_NAME": name, "ARC_DC09_PORT": str(port), "ARC_DC09_BIND": "127.0.0.1"})
        return proc.start() if start else proc

    def intake(self, name: str = "intake1", *, start: bool = True) -> Proc:
        proc = self.add(name, self.manage_argv("run_intake"))
        return proc.start() if start else proc

    def web(self, name: str = "web1", *, port: int | None = None, start: bool = True) -> Proc:
        port = port or free_port()
        proc = self.add(name, self.manage_argv("run_web", "--port", str(port)), port=port)
        return proc.start() if start else proc

    def worker(self, name: str = "worker1", *, concurrency: int = 1, start: bool = True) -> Proc:
        argv = [sys.executable, "-m", "celery", "-A", "arc", "worker", "--loglevel=INFO",
                f"--concurrency={concurrency}", "-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
        proc = self.add(name, argv)
        return proc.start() if start else proc

    def beat(self, name: str = "beat", *, start: bool = True) -> Proc:
        argv = [sys.executable, "-m", "celery", "-A", "arc", "beat", "--loglevel=INFO",
                "--schedule", str(self.root / "celerybeat-schedule")]
        proc = self.add(name, argv)
        return proc.start() if start else proc

    def close(self) -> None:
        for proc in reversed(list(self.procs.values())):
            try:
                proc.stop(timeout=10)
            except Exception:
                pass
        for server in (self.redis, self.pg):
            try:
                server.stop()
            except Exception:
                pass

    def logs(self) -> str:
        """The tail of every process log, for a failing test's report."""
        parts = []
        for proc in self.procs.values():
            parts.append(f"---- {proc.name} (alive={proc.alive})\n{proc.output()[-2500:]}")
        return "\n".join(parts)

    # --- what the centre recorded -------------------------------------------------------------
    def journal_events(self) -> list[tuple[str, str, str, str]]:
        """(account, sequence, code, zone) of every accepted SIA-DCS event in the journal."""
        rows = self.sql(
            "SELECT s.account, s.sequence, e.code, e.zone FROM alarms_signal s "
            "JOIN alarms_signalevent e ON e.signal_id = s.id "
            "WHERE s.outcome = 'accepted' AND s.token IN ('SIA-DCS', '*SIA-DCS')"
        )
        return [(r[0], r[1], r[2], r[3] if len(r) > 3 else "") for r in rows]


def build_template(root: Path, *, panels: int = 40, encrypted: int = 4, seed_args: tuple[str, ...] = ()) -> Path:
    """Migrate and seed a database once; clusters copy its data directory."""
    cluster = Cluster(root / "template-cluster")
    try:
        cluster.start_servers()
        cluster.manage("migrate", "--noinput", timeout=300)
        cluster.manage("setup_roles")
        out = subprocess.run(
            [sys.executable, "-m", "tests.faults.harness.seed", "--panels", str(panels), "--encrypted", str(encrypted),
             *seed_args],
            env=cluster.env, cwd=BASE_DIR, capture_output=True, text=True, timeout=600,
        )
        if out.returncode != 0:
            raise RuntimeError(f"seed failed:\n{out.stdout}\n{out.stderr}")
        (root / "seed.json").write_text(out.stdout.strip().splitlines()[-1])
    finally:
        cluster.close()
    # What a stopped server may leave behind must not be copied into each clone.
    for leftover in [*cluster.pg.datadir.glob(".s.PGSQL.*"), cluster.pg.datadir / "postmaster.pid"]:
        leftover.unlink(missing_ok=True)
    return cluster.pg.datadir


def seed_info(root: Path) -> dict:
    return json.loads((root / "seed.json").read_text())
