"""Ingest benchmark: the DC-09 receiver, committing every signal before its ACK.

1. N simulated panels (default 200), stop-and-wait over persistent TCP
   connections, for D seconds against our receiver: ACKed signals/s, ACK
   latency p50/p99.
2. The same load, in the same run, against pysiaalarm's asyncio server with a
   no-op callback (it stores nothing and ACKs before its callback): the ratio.
   The two servers take turns in R rounds (default 4) of D/R seconds each, so
   that the shared machine's slow moments weigh on both alike.
3. A storm: S signals/s (default 3,000) for T seconds (default 60), paced, then
   a check that every ACKed signal is in the journal exactly once.

Runs its own PostgreSQL (fsync ON, as in production) and Redis from
arc.embedded in a temporary directory, and its own receiver process.

    .venv/bin/python bench/ingest.py [--panels 200] [--duration 20] [--rounds 4] [--storm-rate 3000] [--storm-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from alarms.dc09 import replies  # noqa: E402
from bench.common import percentile, stop_processes, wait_port  # noqa: E402


def account(i: int) -> str:
    return f"{0xB00000 + i:06X}"


async def panel(port: int, acct: str, stop_at: float, latencies: list, acked: list, *, pace: float = 0.0,
                first_seq: int = 1, record: bool = False) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    seq = first_seq
    next_send = time.monotonic()
    try:
        while time.monotonic() < stop_at:
            if pace:
                delay = next_send - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_send += pace
            n = seq % 9999 + 1
            frame = replies.event_frame("SIA-DCS", f"{n:04d}", "R1", "L1", acct, f"#{acct}|Nri1/BA{seq % 97 + 1}")
            sent = time.perf_counter()
            writer.write(frame)
            reply = await asyncio.wait_for(reader.readuntil(b"\r"), 10)
            latencies.append(time.perf_counter() - sent)
            if b'"ACK"' in reply:
                acked.append((acct, f"{n:04d}") if record else 1)
            seq += 1
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
        print(f"  panel {acct}: {type(exc).__name__}", file=sys.stderr)
    finally:
        writer.close()


async def run_load(port: int, panels: int, seconds: float, *, rate: float = 0.0, first_seq: int = 1,
                   record: bool = False, offset: int = 0, total: int = 0):
    latencies: list[float] = []
    acked: list = []
    start = time.monotonic()
    stop_at = start + seconds
    pace = (total or panels) / rate if rate else 0.0
    await asyncio.gather(*(panel(port, account(offset + i), stop_at, latencies, acked, pace=pace,
                                 first_seq=first_seq, record=record) for i in range(panels)))
    return latencies, acked, time.monotonic() - start


def _child(args):
    port, panels, seconds, rate, first_seq, record, offset, total = args
    return asyncio.run(run_load(port, panels, seconds, rate=rate, first_seq=first_seq, record=record,
                                offset=offset, total=total))


def load(port: int, panels: int, seconds: float, *, rate: float = 0.0, first_seq: int = 1, record: bool = False,
         clients: int = 2):
    """The load from ``clients`` processes (one Python client process cannot drive thousands
    of frames a second on its own); the same for every server measured."""
    import multiprocessing
    share = [panels // clients + (1 if i < panels % clients else 0) for i in range(clients)]
    offsets = [sum(share[:i]) for i in range(clients)]
    jobs = [(port, share[i], seconds, rate, first_seq, record, offsets[i], panels) for i in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_child, jobs)
    latencies = [x for r in results for x in r[0]]
    acked = [x for r in results for x in r[1]]
    return latencies, acked, max(r[2] for r in results)


def report(name: str, latencies: list[float], acked: list, elapsed: float) -> float:
    rate = len(acked) / elapsed
    print(f"{name}: {len(acked)} ACKed in {elapsed:.1f} s = {rate:,.0f} signals/s; ACK latency "
          f"p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
          f"max {max(latencies, default=0) * 1000:.0f} ms")
    return rate


PYSIA = textwrap.dedent("""
    import asyncio, sys
    from pysiaalarm.aio import SIAClient, SIAAccount
    port, n = int(sys.argv[1]), int(sys.argv[2])
    accounts = [SIAAccount(f"{0xB00000 + i:06X}", None, allowed_timeband=None) for i in range(n)]
    async def noop(event):
        return None
    async def main():
        async with SIAClient("127.0.0.1", port, accounts, function=noop):
            print("ready", flush=True)
            await asyncio.Event().wait()
    asyncio.run(main())
""")


def latency_phase(env: dict, port: int, frames: int) -> None:
    """Frame → alarm: the real intake worker (woken by NOTIFY) on an empty backlog."""
    from django.db import connection

    from alarms.models import Alarm, Signal
    # The throughput phases left their signals pending; they are not what is measured here.
    Signal.objects.filter(process_state="pending").update(process_state="none")
    # That mass update leaves every row of the pending index dead; autovacuum would clean
    # them up in production, where rows leave the pending state a few at a time. Without
    # this, each intake query walks hundreds of thousands of dead index entries and the
    # figure measures the bench's own setup instead of the intake path.
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) alarms_signal")
    connection.close()
    log = Path(env["ARC_VAR_DIR"]) / "intake.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        worker = subprocess.Popen([sys.executable, str(BASE_DIR / "manage.py"), "run_intake"],
                                  env=dict(env, ARC_LOG_LEVEL="INFO"), cwd=BASE_DIR, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "started" not in log.read_text() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)
        import socket
        latencies = []
        before = Alarm.objects.count()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for i in range(frames):
                acct = account(i % 50)
                n = 9000 + i
                sent = time.perf_counter()
                sock.sendall(replies.event_frame("SIA-DCS", f"{n:04d}", "R1", "L1", acct,
                                                 f"#{acct}|Nri1/FA{i % 9 + 1}"))
                sock.recv(200)
                acked = time.perf_counter()
                while Signal.objects.filter(account=acct, sequence=f"{n:04d}", process_state="pending").exists() \
                        or not Signal.objects.filter(account=acct, sequence=f"{n:04d}").exists():
                    if time.perf_counter() - sent > 5:
                        break
                    time.sleep(0.002)
                latencies.append((acked - sent, time.perf_counter() - sent))
                time.sleep(0.05)
        done = [t for _a, t in latencies]
        acks = [a for a, _t in latencies]
        print(f"frame → alarm committed (receiver + intake worker, {frames} fire frames, one at a time): "
              f"ACK p50 {percentile(acks, 50) * 1000:.1f} ms; alarm p50 {percentile(done, 50) * 1000:.1f} ms, "
              f"p99 {percentile(done, 99) * 1000:.1f} ms (polled every 2 ms); alarms {before} → {Alarm.objects.count()} "
              f"(fire frames group into the site's open alarm)")
        connection.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=200)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("ARC_BENCH_DURATION", 20)))
    parser.add_argument("--storm-rate", type=float, default=3000)
    parser.add_argument("--storm-seconds", type=float, default=60)
    parser.add_argument("--storm-panels", type=int, default=600)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per server")
    parser.add_argument("--processes", type=int, default=2,
                        help="receiver processes sharing the port (run_receiver --processes)")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--latency-frames", type=int, default=100)
    args = parser.parse_args()

    from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

    tmp = Path(tempfile.mkdtemp(prefix="arc-bench-ingest-"))
    pg = EmbeddedPostgres(tmp / "pg", free_port(), fsync=True)
    redis = EmbeddedRedis(tmp / "redis", free_port(), persist=False)
    procs: list[subprocess.Popen] = []
    try:
        pg.start()
        redis.start()
        env = dict(os.environ, DATABASE_URL=pg.url, REDIS_URL=redis.url, ARC_VAR_DIR=str(tmp / "var"),
                   DJANGO_SETTINGS_MODULE="arc.settings", ARC_LOG_LEVEL="WARNING", PYTHONPATH=str(BASE_DIR))
        os.environ.update(env)
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from sites.models import Customer, Site, Transmitter
        customer = Customer.objects.create(code="BENCH", name="Bench")
        site = Site.objects.create(customer=customer, code="BENCH", name="Bench", address="1 rue", postal_code="75001",
                                   city="Paris")
        total = max(args.panels, args.storm_panels)
        Transmitter.objects.bulk_create([Transmitter(site=site, account=account(i), account_key=account(i))
                                         for i in range(total)])
        from django.db import connection
        connection.close()

        port = free_port()
        # Every simulated panel comes from 127.0.0.1: lift the per-address flood limits
        # (connections, frames/s), which would otherwise cap the whole bench at one address's share.
        rx_env = dict(env, ARC_DC09_RATE_PER_ADDRESS="1000000", ARC_DC09_MAX_CONN_PER_ADDRESS="100000")
        rx = subprocess.Popen([sys.executable, str(BASE_DIR / "manage.py"), "run_receiver", "--port", str(port),
                               "--name", "bench", "--writers", str(args.writers), "--processes",
                               str(args.processes)], env=rx_env, cwd=BASE_DIR)
        procs.append(rx)
        wait_port(port, rx)
        time.sleep(3)  # every process of the receiver listening, not just the first
        pport = free_port()
        ps = subprocess.Popen([sys.executable, "-c", PYSIA, str(pport), str(args.panels)], env=env,
                              stdout=subprocess.DEVNULL)
        procs.append(ps)
        wait_port(pport, ps)
        print(f"== {args.panels} panels, stop-and-wait over TCP, {args.duration:.0f} s per server in "
              f"{args.rounds} alternating rounds; ARC as {args.processes} receiver process(es) on the port, "
              f"pysiaalarm as its one asyncio server (PostgreSQL fsync on; {os.cpu_count()} CPUs shared with "
              f"whatever else runs)")
        load(port, args.panels, 2, clients=args.clients)  # warm-up
        load(pport, args.panels, 2, clients=args.clients)
        # The two servers take turns, round after round, so that a slow moment of the shared
        # machine weighs on both alike; the ratio is over the whole run.
        ours_all: list = [[], [], 0.0]
        theirs_all: list = [[], [], 0.0]
        slice_seconds = args.duration / args.rounds
        for n in range(args.rounds):
            for target, totals, name in ((port, ours_all, "ARC"), (pport, theirs_all, "pysiaalarm")):
                latencies, acked, elapsed = load(target, args.panels, slice_seconds, clients=args.clients,
                                                 first_seq=5000 + n * 2000 if target == port else 1)
                print(f"  round {n + 1} {name}: {len(acked) / elapsed:,.0f} signals/s, "
                      f"p99 {percentile(latencies, 99) * 1000:.1f} ms")
                totals[0].extend(latencies)
                totals[1].extend(acked)
                totals[2] += elapsed
        ours = report("ARC receiver (commit before ACK)", *ours_all)
        theirs = report("pysiaalarm 3.2.2 (no-op callback, stores nothing)", *theirs_all)
        ps.send_signal(signal.SIGTERM)
        ps.wait(10)
        print(f"ratio ARC / pysiaalarm = {ours / theirs:.2f}" if theirs else "pysiaalarm ACKed nothing")

        latency_phase(env, port, args.latency_frames)

        print(f"== storm: {args.storm_rate:.0f} signals/s offered for {args.storm_seconds:.0f} s over "
              f"{args.storm_panels} connections (each waits for its ACK before its next frame)")
        from django.utils import timezone
        storm_started = timezone.now()
        latencies, acked, elapsed = load(port, args.storm_panels, args.storm_seconds, rate=args.storm_rate,
                                         first_seq=2000, record=True, clients=args.clients)
        report("storm", latencies, acked, elapsed)
        from alarms.models import Signal
        journal = set(Signal.objects.filter(receiver="bench", received_at__gte=storm_started, outcome="accepted")
                      .values_list("account", "sequence"))
        rows = Signal.objects.filter(receiver="bench", received_at__gte=storm_started, outcome="accepted").count()
        missing = [a for a in acked if a not in journal]
        print(f"storm check: {len(acked)} ACKed, {rows} accepted rows, {len(missing)} ACKed but missing, "
              f"{rows - len(journal)} stored twice")
        return 0
    finally:
        stop_processes(procs)
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
