"""Logbook benchmark: chained appends per second with 1, 4 and 16 writers, and
the time of filtered review pages over a million entries.

Runs its own PostgreSQL (arc.embedded, fsync ON, data in a temporary
directory) — never the test or dev database.

- Appends: each writer is a separate process (as web nodes, workers and the
  intake are), each append is one ``entries_append`` in its own transaction
  (the chain head locked FOR UPDATE until commit), for ARC_BENCH_DURATION
  seconds (default 5): on its own (append, commit and flush wait in one
  message), and as the last write of a caller's ``transaction.atomic()`` (as
  the services do). The chain is verified afterwards.
- Review: one million entries are generated with ``generate_series`` in SQL
  (realistic spread: 90 days, 300 customers, 3,000 sites, 40 operators,
  French messages for the full-text index). Those rows do NOT form a valid
  hash chain (hashes are random): the chain plays no part in reading a page.
  Each filtered page is rendered through the real view (Django test client,
  template included); we print the median and the 95th percentile.

Usage: .venv/bin/python bench/logbook.py [--rows 1000000] [--skip-appends] [--skip-review]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arc.settings")
    os.environ.setdefault("ARC_DEBUG", "0")
    import django

    django.setup()


# --- appends --------------------------------------------------------------------------------

def _writer(url: str, duration: float, ready, go, out, async_commit: bool, batch: int, inside: bool) -> None:
    _setup(url)
    from django.db import connection, transaction

    import logbook.services
    from logbook.services import Entry, entries_append, entry_append

    logbook.services.ASYNC_COMMIT = async_commit
    # Time spent waiting for the WAL flush (outside the chain lock), to show
    # how long the serialised part of an append is.
    flush_wait = [0.0]
    original = logbook.services._wait_for_wal_flush

    def timed_flush():
        t0 = time.perf_counter()
        original()
        flush_wait[0] += time.perf_counter() - t0

    logbook.services._wait_for_wal_flush = timed_flush

    connection.ensure_connection()
    entry_append(action="bench.warmup", category="system", actor_name="bench", message="warm-up")
    ready.release()
    go.wait()
    n = 0
    flush_wait[0] = 0.0
    end = time.monotonic() + duration
    while time.monotonic() < end:
        entries = [Entry(action="bench.append", category="system", actor_name="bench",
                         message=f"Entrée de banc d'essai {n + i}", site=(1, "Site de test"),
                         new={"n": n + i}) for i in range(batch)]
        if inside:  # as services do: the append is the last write of the caller's transaction
            with transaction.atomic():
                entries_append(entries)
        else:       # on its own: append, commit and flush wait in one message
            entries_append(entries)
        n += batch
    out.put((n, flush_wait[0]))
    connection.close()


RUNS = [  # (writers, asynchronous commit, entries per transaction, inside a caller's transaction)
    (1, True, 1, False), (4, True, 1, False), (16, True, 1, False),
    (1, True, 1, True), (4, True, 1, True), (16, True, 1, True),
    (1, False, 1, False), (16, False, 1, False),
    (1, True, 10, True),
]


def bench_appends(url: str, duration: float) -> list[tuple[int, float]]:
    from logbook.verify import verify_chain

    ctx = mp.get_context("spawn")
    results = []
    for writers, async_commit, batch, inside in RUNS:
        queue, ready, go = ctx.Queue(), ctx.Semaphore(0), ctx.Event()
        procs = [ctx.Process(target=_writer, args=(url, duration, ready, go, queue, async_commit, batch, inside))
                 for _ in range(writers)]
        for p in procs:
            p.start()
        for _ in procs:  # every process has imported Django and connected: start together
            ready.acquire(timeout=120)
        go.set()
        counts = [queue.get(timeout=duration + 120) for _ in procs]
        total = sum(n for n, _w in counts)
        transactions = max(1, total // batch)
        wait_ms = 1000 * sum(w for _n, w in counts) / transactions
        for p in procs:
            p.join()
        rate = total / duration
        results.append((writers, rate))
        mode = "async commit + flush wait" if async_commit else "synchronous commit under the lock"
        where = "in the caller's transaction" if inside else "on its own (one message)"
        wait = (f", of which {wait_ms:4.1f} ms waiting for the WAL flush after the lock" if inside and async_commit
                else "")
        print(f"appends: {writers:2d} writer(s), {batch:2d} per transaction, {where:28s}, {mode:34s}: "
              f"{total:6d} entries in {duration:.0f} s = {rate:,.0f}/s; per transaction "
              f"{1000 * duration * writers / transactions:5.1f} ms{wait}", flush=True)
    t0 = time.monotonic()
    result = verify_chain()
    print(f"verify_logbook after the append runs: {result} ({time.monotonic() - t0:.1f} s)", flush=True)
    if not result.ok:
        raise SystemExit("chain broken by concurrent appends")
    return results


# --- one million entries and the review page ------------------------------------------------------

GENERATE = """
INSERT INTO logbook_logentry (created_at, actor_kind, actor_id, actor_name, action, category,
    customer_id, customer_label, site_id, site_label, alarm_id, alarm_label, intervention_id,
    intervention_label, message, old_values, new_values, correlation_id, corrects_id, prev_hash, hash)
SELECT
    now() - interval '90 days' + (g * interval '90 days' / %(total)s),
    CASE WHEN g %% 3 = 0 THEN 'system' ELSE 'user' END,
    CASE WHEN g %% 3 = 0 THEN NULL ELSE 1000 + (g * 7) %% 40 END,
    CASE WHEN g %% 3 = 0 THEN 'ARC' ELSE 'Opérateur ' || ((g * 7) %% 40) END,
    (ARRAY['alarm.created','alarm.taken','alarm.closed','alarm.comment','manual','signal.auto_logged',
           'dispatch.callout','alarm.acknowledged'])[1 + g %% 8],
    (ARRAY['alarm','alarm','alarm','alarm','call','signal','dispatch','alarm'])[1 + g %% 8],
    1 + (g / 7) %% 300,
    'Client ' || (1 + (g / 7) %% 300),
    1 + (g / 7) %% 3000,
    'Site ' || (1 + (g / 7) %% 3000) || ' — Ville',
    CASE WHEN g %% 8 IN (0,1,2,3,7) THEN g / 8 END,
    CASE WHEN g %% 8 IN (0,1,2,3,7) THEN 'Alarme n° ' || (g / 8) ELSE '' END,
    NULL, '',
    (ARRAY['Intrusion zone 3 détecteur hall, levée de doute vidéo négative',
           'Appel du gardien : effraction constatée par la fenêtre arrière',
           'Fausse alarme, client prévenu, remise en service',
           'Le client signale un départ en congés, consignes mises à jour',
           'Défaut secteur sur le transmetteur, technicien prévenu',
           'Mise en test pour maintenance par l''installateur',
           'Appel police 17, patrouille sur place à 02h40',
           'Clés remises à la société de gardiennage'])[1 + (g * 13) %% 8] || ' #' || g,
    NULL, '{"priority": 2}'::jsonb, gen_random_uuid(), NULL,
    md5((g - 1)::text) || md5('p' || (g - 1)::text),
    md5(g::text) || md5('p' || g::text)
FROM generate_series(%(first)s, %(last)s) AS g
"""


def _empty_logbook() -> None:
    """Start the review part from an empty logbook (the bench's own database:
    the TRUNCATE trigger lets a session that says so through)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET arc.logbook_truncate = on")
        cursor.execute("TRUNCATE logbook_logentry")
        cursor.execute("UPDATE logbook_chainhead SET last_id = 0, last_hash = %s, count = 0", ["0" * 64])


def generate(rows: int, batch: int = 100_000) -> float:
    from django.db import connection

    t0 = time.monotonic()
    with connection.cursor() as cursor:
        for first in range(1, rows + 1, batch):
            last = min(rows, first + batch - 1)
            cursor.execute(GENERATE, {"total": rows, "first": first, "last": last})
            print(f"  generated {last:,} rows ({time.monotonic() - t0:.0f} s)", flush=True)
        cursor.execute("VACUUM ANALYZE logbook_logentry")
    return time.monotonic() - t0


def bench_review(repeat: int = 15) -> list[tuple[str, float, float]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from logbook.models import LogEntry

    user = get_user_model().objects.create_user("bench-sup", is_staff=True, password=None)
    user.groups.add(Group.objects.get_or_create(name="supervisor")[0])
    client = Client()
    client.force_login(user)
    mid = LogEntry.objects.order_by("-id").values_list("id", flat=True)[500_000 // 2] if LogEntry.objects.exists() \
        else 1
    cases = [
        ("no filter (latest 50)", {}),
        ("one site", {"site": 1234}),
        ("one customer, one month", {"customer": 42, "date_from": _days_ago(60), "date_to": _days_ago(30)}),
        ("one operator + category", {"actor": 1007, "category": "call"}),
        ("category + one week", {"category": "dispatch", "date_from": _days_ago(14), "date_to": _days_ago(7)}),
        ("one alarm", {"alarm": 43210}),
        ("full text 'effraction fenêtre'", {"q": "effraction fenêtre"}),
        ("full text + customer", {"q": "gardien", "customer": 17}),
        ("deep page (keyset, mid-table)", {"before": mid}),
    ]
    from logbook.selectors import ReviewFilters, entries_page

    results = []
    for label, params in cases:
        query_times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            entries_page(ReviewFilters.parse(params), before=int(params["before"]) if "before" in params else None)
            query_times.append((time.perf_counter() - t0) * 1000)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get("/logbook/review/", params)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        times.sort()
        median, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
        results.append((label, median, p95))
        print(f"review page: {label:34s} median {median:6.1f} ms   p95 {p95:6.1f} ms   "
              f"(query alone: median {statistics.median(query_times):5.1f} ms)", flush=True)
    # The plan of one representative query, for docs/performance.md.
    from logbook.selectors import entries_filtered

    qs = entries_filtered(ReviewFilters.parse({"customer": 42, "date_from": _days_ago(60),
                                               "date_to": _days_ago(30)})).order_by("-id")[:51]
    sql, sql_params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, sql_params)
        print("EXPLAIN ANALYZE (one customer, one month):")
        for (line,) in cursor.fetchall():
            print("   ", line)
    return results


def _days_ago(days: int) -> str:
    import datetime as dt

    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def inner(args) -> int:
    """The measuring process: DATABASE_URL points at the bench's PostgreSQL
    before anything of Django or ARC is imported."""
    duration = float(os.environ.get("ARC_BENCH_DURATION", "5"))
    url = os.environ["DATABASE_URL"]
    _setup(url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    print(f"PostgreSQL (fsync on) for this bench only, {os.cpu_count()} CPU(s)", flush=True)
    if not args.skip_appends:
        bench_appends(url, duration)
    if not args.skip_review:
        _empty_logbook()
        print(f"generating {args.rows:,} entries…", flush=True)
        seconds = generate(args.rows)
        print(f"generated in {seconds:.0f} s", flush=True)
        bench_review()
    connections.close_all()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--skip-review", action="store_true")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return inner(args)

    import subprocess

    from arc.embedded import EmbeddedPostgres, free_port

    with tempfile.TemporaryDirectory(prefix="arc-bench-logbook-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port(), fsync=True)
        pg.start()
        try:
            env = dict(os.environ, DATABASE_URL=pg.url, ARC_VAR_DIR=str(Path(tmp) / "var"))
            return subprocess.run([sys.executable, __file__, "--inner", *sys.argv[1:]], env=env).returncode
        finally:
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())
