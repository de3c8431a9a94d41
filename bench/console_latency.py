"""Console latency: from the DC-09 frame sent to the alarm shown in N consoles.

1. Steady load: R alarms/s (default 20), each on its own site, sent over TCP to
   our receiver; N console websocket clients (default 20) speaking the
   browser's protocol (ws/console/, staff session cookie) time the arrival of
   each new alarm. Reports p50/p99/max over every (console, alarm) pair.
2. Storm: S signals/s (default 3,000) of low-priority troubles from another
   process, with a storm rule on (troubles, priority >= 4, for the storm's
   region), while fire, hold-up and intrusion alarms keep coming at P/s
   (default 5); reports their latency to the consoles.

Targets (issue 4): p50 <= 100 ms and p99 <= 500 ms in (1); p99 <= 2 s for
fire, hold-up and intrusion in (2).

Runs its own PostgreSQL (fsync on) and Redis from arc.embedded, and its own
web (daphne), receiver and intake processes.

    .venv/bin/python bench/console_latency.py [--consoles 20] [--rate 20] [--duration 15]
        [--storm-rate 3000] [--storm-seconds 15] [--priority-rate 5] [--intake 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from alarms.dc09 import replies  # noqa: E402
from bench.common import percentile, stop_processes, wait_port  # noqa: E402

PRIORITY_CODES = ["FA", "BA", "PA"]  # fire, intrusion, hold-up




def alarm_account(i: int) -> str:
    return f"{0xC00000 + i:06X}"


def storm_account(i: int) -> str:
    return f"{0xD00000 + i:06X}"




# --- consoles ----------------------------------------------------------------------
class Consoles:
    """N websocket clients; for each alarm (by its site's account), when each saw it."""

    def __init__(self, url: str, origin: str, cookies: list[str]):
        self.url, self.origin, self.cookies = url, origin, cookies
        self.seen: list[dict[str, float]] = [{} for _ in cookies]
        self.ready = 0
        self.failed = 0

    async def client(self, index: int, stop: asyncio.Event) -> None:
        try:
            await self._client(index, stop)
        except Exception as exc:  # counted as "not shown"; the run goes on
            self.failed += 1
            print(f"  console {index}: {type(exc).__name__}: {exc}", file=sys.stderr)

    async def _client(self, index: int, stop: asyncio.Event) -> None:
        import websockets

        async with websockets.connect(self.url, origin=self.origin, max_size=None, open_timeout=30,
                                      additional_headers={"Cookie": self.cookies[index]}) as ws:
            self.ready += 1
            seen = self.seen[index]
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                now = time.time()
                message = json.loads(raw)
                if message.get("type") != "events":
                    continue
                for event in message["events"]:
                    row = event.get("alarm")
                    if row and row.get("site", "").startswith("Bench ") and event["kind"] in ("created", "signal"):
                        seen.setdefault(row["site"][6:], now)


# --- panels -------------------------------------------------------------------------
async def send_alarms(port: int, accounts: list[str], rate: float, codes: list[str], sent: dict,
                      connections: int = 10) -> None:
    """One frame per account, paced at ``rate``/s over a pool of stop-and-wait connections."""
    queue: asyncio.Queue = asyncio.Queue()

    async def connection(k: int):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                n, acct = item
                code = codes[n % len(codes)]
                frame = replies.event_frame("SIA-DCS", f"{n % 9999 + 1:04d}", "R1", "L1", acct,
                                            f"#{acct}|Nri1/{code}1")
                sent[acct] = time.time()
                writer.write(frame)
                try:
                    await asyncio.wait_for(reader.readuntil(b"\r"), 10)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    print(f"  sender {k}: {type(exc).__name__}; reconnecting", file=sys.stderr)
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection(k)) for k in range(connections)]
    start = time.monotonic()
    for n, acct in enumerate(accounts):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await queue.put((n, acct))
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)


def storm_process(port: int, panels: int, rate: float, seconds: float, result) -> None:
    """Another process: ``rate`` trouble signals/s over ``panels`` connections."""
    async def panel(i: int, stop_at: float, pace: float, counts: list):
        acct = storm_account(i)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        seq, next_send = 1, time.monotonic() + (i % 100) * pace / 100
        try:
            while time.monotonic() < stop_at:
                delay = next_send - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_send += pace
                frame = replies.event_frame("SIA-DCS", f"{seq % 9999 + 1:04d}", "R1", "L1", acct,
                                            f"#{acct}|Nri1/AT{seq % 50 + 1}")
                writer.write(frame)
                await asyncio.wait_for(reader.readuntil(b"\r"), 15)
                counts.append(1)
                seq += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main():
        counts: list = []
        started = time.monotonic()
        await asyncio.gather(*(panel(i, started + seconds, panels / rate, counts) for i in range(panels)))
        result.value = len(counts) / (time.monotonic() - started)
    asyncio.run(main())


def report(name: str, consoles: Consoles, sent: dict, accounts: list[str]) -> tuple[float, float]:
    latencies = []
    missing = 0
    for seen in consoles.seen:
        for acct in accounts:
            if acct in seen and acct in sent:
                latencies.append(seen[acct] - sent[acct])
            else:
                missing += 1
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"{name}: {len(accounts)} alarms x {len(consoles.seen)} consoles = {len(latencies)} arrivals; "
          f"latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(latencies, default=0) * 1000:.0f} ms"
          f"; not shown: {missing}")
    return p50, p99


async def direct_phase(consoles: Consoles, args, accounts: list[str]) -> dict:
    """Alarms written in this process the way intake writes them; 'sent' is the commit time."""
    from asgiref.sync import sync_to_async

    from sites.models import Site

    def write(acct: str) -> float:
        from django.db import connection, transaction

        from alarms.feed import feed_record
        from alarms.models import Alarm
        from logbook.services import entry_append

        site = Site.objects.select_related("customer").get(code=f"B{acct}")
        with transaction.atomic():
            alarm = Alarm.objects.create(site=site, customer=site.customer, category="alarm", priority=3,
                                         title="Intrusion", code="BA", account=acct)
            feed_record(alarm=alarm, kind="created", actor_name="bench")
            entry_append(action="alarm.created", message="bench", alarm=alarm, site=site, customer=site.customer)
        committed = time.time()
        connection.close()
        return committed

    stop = asyncio.Event()
    tasks = [asyncio.create_task(consoles.client(i, stop)) for i in range(args.consoles)]
    deadline = time.monotonic() + 30
    while consoles.ready + consoles.failed < args.consoles and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    sent = {}
    start = time.monotonic()
    for n, acct in enumerate(accounts):
        delay = start + n / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[acct] = await sync_to_async(write, thread_sensitive=False)(acct)
    await asyncio.sleep(2)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return sent


def intake_breakdown(consoles: Consoles, sent: dict, accounts: list[str]) -> None:
    """Where the time goes: frame sent -> alarm row committed (intake) -> shown (feed)."""
    from alarms.models import Alarm

    created = {a: t.timestamp() for a, t in Alarm.objects.filter(account__in=accounts)
               .values_list("account", "created_at")}
    to_row = [created[a] - sent[a] for a in accounts if a in created and a in sent]
    to_screen = [seen[a] - created[a] for seen in consoles.seen for a in accounts if a in seen and a in created]
    print(f"  breakdown: frame -> alarm row p50 {percentile(to_row, 50) * 1000:.0f} ms, "
          f"p99 {percentile(to_row, 99) * 1000:.0f} ms; alarm row -> console p50 "
          f"{percentile(to_screen, 50) * 1000:.0f} ms, p99 {percentile(to_screen, 99) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("ARC_BENCH_DURATION", 15)))
    parser.add_argument("--storm-rate", type=float, default=3000)
    parser.add_argument("--storm-seconds", type=float, default=15)
    parser.add_argument("--storm-panels", type=int, default=600)
    parser.add_argument("--priority-rate", type=float, default=5)
    parser.add_argument("--intake", type=int, default=2)
    args = parser.parse_args()
    # SIGTERM (make, CI, Ctrl-C from a supervisor) still stops every process started here.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

    tmp = Path(tempfile.mkdtemp(prefix="arc-bench-console-"))
    pg = EmbeddedPostgres(tmp / "pg", free_port(), fsync=True)
    redis = EmbeddedRedis(tmp / "redis", free_port(), persist=False)
    procs: list[subprocess.Popen] = []
    try:
        pg.start()
        redis.start()
        env = dict(os.environ, DATABASE_URL=pg.url, REDIS_URL=redis.url, ARC_VAR_DIR=str(tmp / "var"),
                   DJANGO_SETTINGS_MODULE="arc.settings", ARC_LOG_LEVEL="WARNING", PYTHONPATH=str(BASE_DIR),
                   ARC_DEBUG="0", ARC_LOGIN_THROTTLE="0",
                   # Every simulated panel comes from 127.0.0.1: lift the per-address limits
                   # that protect a real receiver from one misbehaving site.
                   ARC_DC09_MAX_CONN_PER_ADDRESS="5000", ARC_DC09_RATE_PER_ADDRESS="100000")
        os.environ.update(env)
        import django
        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        from alarms.services.storm import storm_rule_create
        from sites.models import Customer, Site, Transmitter, normalise_account
        from sites.roles import OPERATOR, SUPERVISOR
        from tests.builders import make_user

        steady = [alarm_account(i) for i in range(int(args.rate * args.duration))]
        priority = [alarm_account(100_000 + i) for i in range(int(args.priority_rate * args.storm_seconds))]
        customer = Customer.objects.create(code="BENCH", name="Bench")
        sites = Site.objects.bulk_create([
            Site(customer=customer, code=f"B{acct}", name=f"Bench {acct}", address="1 rue", postal_code="75001",
                 city="Paris", region="75") for acct in steady + priority])
        Transmitter.objects.bulk_create([Transmitter(site=s, account=s.name[6:], account_key=normalise_account(s.name[6:]))
                                         for s in sites])
        storm_site = Site.objects.create(customer=customer, code="STORM", name="Storm", address="1 rue",
                                         postal_code="33000", city="Bordeaux", region="33")
        Transmitter.objects.bulk_create([Transmitter(site=storm_site, account=storm_account(i),
                                                     account_key=normalise_account(storm_account(i)))
                                         for i in range(args.storm_panels)])
        operator = make_user("bench-op", OPERATOR, password="x" * 16)
        supervisor = make_user("bench-sup", SUPERVISOR, OPERATOR, password="x" * 16)
        cookies = []
        for _ in range(args.consoles):
            client = Client()
            client.force_login(operator)
            cookies.append(f"sessionid={client.cookies['sessionid'].value}")
        from django.db import connection
        connection.close()

        web_port, rx_port = free_port(), free_port()
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        web = subprocess.Popen([*manage, "run_web", "--port", str(web_port)], env=env, cwd=BASE_DIR)
        rx = subprocess.Popen([*manage, "run_receiver", "--port", str(rx_port), "--name", "bench"], env=env,
                              cwd=BASE_DIR)
        procs += [web, rx]
        procs += [subprocess.Popen([*manage, "run_intake"], env=env, cwd=BASE_DIR) for _ in range(args.intake)]
        wait_port(web_port, web)
        wait_port(rx_port, rx)

        consoles = Consoles(f"ws://127.0.0.1:{web_port}/ws/console/", f"http://127.0.0.1:{web_port}", cookies)

        async def phase(accounts, rate, codes, extra=None):
            stop = asyncio.Event()
            tasks = [asyncio.create_task(consoles.client(i, stop)) for i in range(args.consoles)]
            deadline = time.monotonic() + 30
            while consoles.ready + consoles.failed < args.consoles and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            sent: dict = {}
            await send_alarms(rx_port, accounts, rate, codes, sent)
            if extra is not None:
                await extra()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(len(s) < len(accounts) for s in consoles.seen):
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            return sent

        print(f"== console path only: {args.rate:.0f} alarms/s written by a service (row + feed row + logbook "
              f"in one transaction), commit -> shown in {args.consoles} consoles")
        direct = [alarm_account(200_000 + i) for i in range(int(args.rate * min(args.duration, 10)))]
        Site.objects.bulk_create([Site(customer=customer, code=f"B{a}", name=f"Bench {a}", address="1 rue",
                                       postal_code="75001", city="Paris", region="75") for a in direct])
        connection.close()
        sent = asyncio.run(direct_phase(consoles, args, direct))
        report("console path", consoles, sent, direct)
        consoles.seen = [{} for _ in cookies]
        consoles.ready = consoles.failed = 0

        print(f"== {args.consoles} consoles, {args.rate:.0f} alarms/s for {args.duration:.0f} s "
              f"({len(steady)} alarms; {os.cpu_count()} CPUs shared by PostgreSQL, Redis, web, receiver, "
              f"{args.intake} intake workers and the clients)")
        sent = asyncio.run(phase(steady, args.rate, PRIORITY_CODES))
        p50, p99 = report("steady", consoles, sent, steady)
        intake_breakdown(consoles, sent, steady)
        print(f"targets p50 <= 100 ms: {'met' if p50 <= 0.1 else 'NOT met'}; "
              f"p99 <= 500 ms: {'met' if p99 <= 0.5 else 'NOT met'}")

        django.db.connections.close_all()
        rule = storm_rule_create(supervisor=supervisor, categories=["trouble"], minutes=30, min_priority=4,
                                 region="33", reason="bench")
        connection.close()
        print(f"== storm: {args.storm_rate:.0f} trouble signals/s for {args.storm_seconds:.0f} s over "
              f"{args.storm_panels} connections, storm rule #{rule.pk} on; fire/intrusion/hold-up at "
              f"{args.priority_rate:.0f}/s")
        consoles.seen = [{} for _ in cookies]
        consoles.ready = consoles.failed = 0
        achieved = multiprocessing.Value("d", 0.0)
        storm = multiprocessing.Process(target=storm_process, args=(rx_port, args.storm_panels, args.storm_rate,
                                                                      args.storm_seconds, achieved))
        storm.start()
        time.sleep(1)
        sent = asyncio.run(phase(priority, args.priority_rate, PRIORITY_CODES))
        storm.join(args.storm_seconds + 60)
        if storm.is_alive():
            storm.terminate()
        print(f"storm load achieved: {achieved.value:,.0f} signals/s ACKed")
        p50, p99 = report("priority alarms during the storm", consoles, sent, priority)
        print(f"target p99 <= 2 s: {'met' if p99 <= 2 else 'NOT met'}")
        from alarms.models import SignalEvent
        logged = SignalEvent.objects.filter(disposition="storm").count()
        print(f"storm mode auto-logged {logged} signals")
        return 0
    finally:
        stop_processes(procs)
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
