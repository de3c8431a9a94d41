"""Timer benchmark: N deadlines spread over a window, 2 Celery workers and
beat, one worker SIGKILLed mid-run (and restarted a few seconds later).

The deadlines are real ones: sites put on test (``Site.test_until``) that the
tick must take out of test mode (``sites.services.site_end_test(expired=True)``,
which writes the ``site.test_end`` logbook entry). Lateness is the entry's
database timestamp minus ``test_until``; a duplicate is a second entry for a
site; a loss is a site still on test after the run.

Runs on its own embedded PostgreSQL and Redis (temporary directory).

    .venv/bin/python bench/timers.py [--count 10000] [--window 120]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.common import percentile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=120.0, help="seconds over which deadlines fall due")
    parser.add_argument("--lead", type=float, default=15.0, help="seconds before the first deadline")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the window when a worker dies")
    parser.add_argument("--restart-after", type=float, default=5.0)
    args = parser.parse_args()

    from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

    tmp = Path(tempfile.mkdtemp(prefix="arc-bench-timers-"))
    pg = EmbeddedPostgres(tmp / "pg", free_port(), fsync=False)
    redis = EmbeddedRedis(tmp / "redis", free_port(), persist=False)
    processes: list[subprocess.Popen] = []
    try:
        pg.start()
        redis.start()
        os.environ.update({"DATABASE_URL": pg.url, "REDIS_URL": redis.url, "ARC_VAR_DIR": str(tmp / "var"),
                           "DJANGO_SETTINGS_MODULE": "arc.settings", "ARC_LOG_LEVEL": "WARNING"})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.db import connection
        from django.utils import timezone

        from sites.models import Customer, Site

        customer = Customer.objects.create(code="BENCH", name="Bench")
        start = timezone.now() + dt.timedelta(seconds=args.lead)
        step = args.window / args.count
        sites = [Site(customer=customer, code=f"B{i:06d}", name=f"Bench {i}", address="1 rue du Banc",
                      postal_code="75001", city="Paris", monitoring_state=Site.Monitoring.ON_TEST,
                      test_until=start + dt.timedelta(seconds=i * step)) for i in range(args.count)]
        Site.objects.bulk_create(sites, batch_size=2000)
        print(f"{args.count} deadlines from {start:%H:%M:%S} over {args.window:.0f} s "
              f"({args.count / args.window:.0f}/s)", flush=True)

        env = dict(os.environ)
        logs = tmp / "logs"
        logs.mkdir()

        def spawn(name: str, *argv: str) -> subprocess.Popen:
            out = open(logs / f"{name}.log", "ab")
            process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "arc", *argv], env=env, cwd=BASE_DIR,
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            processes.append(process)
            return process

        def worker(name: str) -> subprocess.Popen:
            return spawn(name, "worker", "--concurrency=1", "-n", f"{name}@%h",
                         "--loglevel=" + ("INFO" if os.environ.get("BENCH_DEBUG") else "WARNING"),
                         "--without-gossip", "--without-mingle")

        worker("w1")
        victim = worker("w2")
        spawn("beat", "beat", "--loglevel=WARNING", "--schedule", str(tmp / "beat-schedule"))

        kill_at = start + dt.timedelta(seconds=args.window * args.kill_at)
        end = start + dt.timedelta(seconds=args.window)
        killed_at = restarted_at = None
        while timezone.now() < kill_at:
            time.sleep(0.1)
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at = timezone.now()
        print(f"{killed_at:%H:%M:%S.%f} worker w2 SIGKILLed", flush=True)
        time.sleep(args.restart_after)
        worker("w2b")
        restarted_at = timezone.now()
        print(f"{restarted_at:%H:%M:%S.%f} worker w2 restarted", flush=True)
        # Wait until every deadline fired, or nothing moved for 30 s (then what is left is lost).
        remaining, last_progress = None, time.monotonic()
        while True:
            left = Site.objects.filter(customer=customer, monitoring_state=Site.Monitoring.ON_TEST).count()
            if left == 0 or (timezone.now() > end and time.monotonic() - last_progress > 30):
                break
            if left != remaining:
                remaining, last_progress = left, time.monotonic()
            time.sleep(0.5)
        finished_at = timezone.now()
        time.sleep(2)  # anything still in flight
        if os.environ.get("BENCH_DEBUG"):
            for log in sorted(logs.iterdir()):
                print(f"--- {log.name}")
                print("\n".join(log.read_text(errors="replace").splitlines()[-40:]))

        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT e.site_id, EXTRACT(EPOCH FROM e.created_at - (e.old_values->>'test_until')::timestamptz)
                FROM logbook_logentry e WHERE e.action = 'site.test_end'""")
            rows = cursor.fetchall()
        fired: dict[int, list[float]] = {}
        for site_id, late in rows:
            fired.setdefault(site_id, []).append(float(late))
        lateness = [min(v) for v in fired.values()]
        duplicates = sum(len(v) - 1 for v in fired.values())
        losses = Site.objects.filter(customer=customer, monitoring_state=Site.Monitoring.ON_TEST).count()
        outage = [min(v) for site_id, v in fired.items()]
        due_in_outage = Site.objects.filter(
            customer=customer, code__in=[f"B{i:06d}" for i in range(args.count)
                                         if killed_at <= start + dt.timedelta(seconds=i * step) <= restarted_at])
        outage_ids = set(due_in_outage.values_list("pk", flat=True))
        outage = [min(fired[pk]) for pk in outage_ids if pk in fired]
        early = sum(1 for v in lateness if v < 0)
        load = os.getloadavg()
        print()
        print(f"machine              {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
        print(f"deadlines            {args.count}")
        print(f"fired                {len(fired)}")
        print(f"lateness p50         {statistics.median(lateness):.3f} s")
        print(f"lateness p99         {percentile(lateness, 99):.3f} s")
        print(f"lateness max         {max(lateness):.3f} s")
        print(f"fired early (<0)     {early}")
        print(f"during the kill      {len(outage)} due between kill and restart: "
              f"p99 {percentile(outage, 99):.3f} s, max {max(outage) if outage else float('nan'):.3f} s")
        print(f"last fired           {(finished_at - end).total_seconds():.1f} s after the last deadline")
        print(f"duplicates           {duplicates}")
        print(f"losses               {losses}")
        ok = duplicates == 0 and losses == 0 and percentile(lateness, 99) <= 1.0
        print("targets (p99 <= 1 s, 0 dup, 0 loss):", "MET" if ok else "NOT MET")
        return 0
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
