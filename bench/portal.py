"""Portal and API benchmark: what a client and an integration wait for, on a
centre-sized database, and how fast retention archives the logbook.

Runs its own PostgreSQL and Redis (arc.embedded, temporary directory) — never
the test or dev database. Data, generated in SQL: 300 customers, 3,000 sites,
ARC_BENCH rows of signal events (default 300,000) and 60,000 alarms spread
over the customers; one customer with 20 sites is the one we measure.

1. API: GET /api/v1/alarms/, /events/ (first page, customer token) and
   /alarms/{id}/, through the real stack (Django test client, DRF, Redis
   throttle): median and 95th percentile.
2. Portal: the client's home (20 site cards with status), a site page, an
   alarm page: median and 95th percentile.
3. Retention: N chained logbook entries (default 50,000) archived by
   ``archive_logbook`` (verify, write the file, checkpoint, delete), then
   ``verify_logbook`` from the checkpoint: seconds and entries/s.

Usage: .venv/bin/python bench/portal.py [--events 300000] [--entries 50000] [--repeat 40]
(PORTAL_BENCH_PROFILE=1 also prints query counts and a profile of the portal pages.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def _time(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def generate(events: int) -> dict:
    from django.db import connection

    from sites.models import ClientAccess, Customer
    from tests.builders import make_user

    with connection.cursor() as c:
        c.execute("""INSERT INTO sites_customer (code, name, kind, phone, email, address, notes, contract_video,
                          active, created_at)
                     SELECT 'C' || g, 'Client ' || g, 'company', '', '', '', '', false, true, now()
                     FROM generate_series(1, 300) g""")
        c.execute("""INSERT INTO sites_site (customer_id, code, name, address, postal_code, city, country, region,
                          timezone, phone, access_notes, monitoring_state, armed_state, open_tolerance_minutes,
                          close_tolerance_minutes, closed_on_public_holidays, created_at)
                     SELECT c.id, 'S' || c.id || '-' || g, 'Site ' || c.id || '-' || g, g || ' rue Haute', '75001',
                            'Paris', 'FR', '75', 'Europe/Paris', '', '', 'in_service', 'armed', 15, 30, true, now()
                     FROM sites_customer c, generate_series(1, 10) g""")
        measured = Customer.objects.get(code="C1")
        c.execute("""INSERT INTO sites_site (customer_id, code, name, address, postal_code, city, country, region,
                          timezone, phone, access_notes, monitoring_state, armed_state, open_tolerance_minutes,
                          close_tolerance_minutes, closed_on_public_holidays, created_at)
                     SELECT %s, 'SX-' || g, 'Site mesuré ' || g, g || ' rue Basse', '75001', 'Paris', 'FR', '75',
                            'Europe/Paris', '', '', 'in_service', 'armed', 15, 30, true, now()
                     FROM generate_series(1, 10) g""", [measured.pk])
        c.execute("""INSERT INTO sites_transmitter (site_id, account, account_key, receiver_prefix, line_prefix,
                          encryption, key_format, key_encrypted, allow_plain, binary_crc, signals_per_minute,
                          enabled, line_fault, last_seen_at, last_test_at)
                     SELECT s.id, to_hex(s.id), upper(to_hex(s.id)), '', '', 'none', 'hex', '', false, false, 120,
                            true, false, now() - interval '3 minutes', now() - interval '1 hour'
                     FROM sites_site s""")
        c.execute("""INSERT INTO alarms_alarm (site_id, customer_id, account, source, kind, category, priority, code,
                          title, description, state, created_at, signal_count, escalation_level, restore_pending,
                          qualification, closure_code, closure_note, version)
                     SELECT s.id, s.customer_id, '', 'dc09', 'event', 'alarm', 2, 'BA', 'Intrusion', '',
                            CASE WHEN g % 50 = 0 THEN 'open' ELSE 'closed' END,
                            now() - (g || ' minutes')::interval, 1, 0, false, '', '', '', 0
                     FROM generate_series(1, 60000) g
                     JOIN sites_site s ON s.id = 1 + (g % (SELECT count(*) FROM sites_site))""")
        c.execute("""INSERT INTO alarms_signal (received_at, receiver, transport, peer, raw, token, sequence,
                          receiver_prefix, line_prefix, account, encrypted, site_id, outcome, reason, reply, payload,
                          flags, process_state, process_error, process_attempts)
                     SELECT now() - (g || ' seconds')::interval, 'rx1', 'tcp', '', '', 'SIA-DCS', '', '', '', '',
                            false, 1 + (g %% (SELECT count(*) FROM sites_site)), 'accepted', '', 'ACK', '',
                            '[]', 'done', '', 0
                     FROM generate_series(1, %s) g""", [events])
        c.execute("""INSERT INTO alarms_signalevent (signal_id, position, protocol, code, qualifier, raw_qualifier,
                          category, priority, description, zone, area, user_number, text, modifiers, old, panel_time,
                          site_id, disposition)
                     SELECT id, 0, 'SIA-DCS', 'BA', 'new', '', 'alarm', 2, 'Intrusion', '1', '', '', '', '{}', false,
                            '', site_id, 'alarm'
                     FROM alarms_signal""")
        c.execute("ANALYZE")
    user = make_user("bench_client", "client")
    ClientAccess.objects.create(user=user, customer=measured)
    return {"customer": measured, "user": user}


def bench_requests(world: dict, repeat: int) -> None:
    from django.core.cache import cache
    from django.test import Client
    from rest_framework.test import APIClient

    from alarms.models import Alarm
    from portal.models import Scope
    from portal.services import token_create

    cache.clear()
    _token, clear = token_create(name="bench", scopes=list(Scope.values), by=None, customer=world["customer"],
                                 rate_per_minute=1_000_000)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    alarm = Alarm.objects.filter(customer=world["customer"]).order_by("-id").first()
    site = alarm.site
    browser = Client()
    browser.force_login(world["user"])
    rows = [
        ("API  GET /api/v1/alarms/ (page of 100)", lambda: api.get("/api/v1/alarms/")),
        ("API  GET /api/v1/events/ (page of 100)", lambda: api.get("/api/v1/events/")),
        ("API  GET /api/v1/alarms/{id}/", lambda: api.get(f"/api/v1/alarms/{alarm.pk}/")),
        ("portal home (20 site cards)", lambda: browser.get("/portal/")),
        ("portal site page", lambda: browser.get(f"/portal/sites/{site.pk}/")),
        ("portal alarm page", lambda: browser.get(f"/portal/alarms/{alarm.pk}/")),
        ("portal event history (page of 50)", lambda: browser.get(f"/portal/sites/{site.pk}/events/")),
    ]
    if os.environ.get("PORTAL_BENCH_PROFILE"):
        import cProfile
        import pstats

        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        for label, fn in rows[3:6]:
            with CaptureQueriesContext(connection) as ctx:
                fn()
            print(label, len(ctx.captured_queries), "queries")
            for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]:
                print("   ", q["time"], q["sql"][:300])
        profiler = cProfile.Profile()
        profiler.runcall(rows[5][1])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        reset_queries()
    for label, fn in rows:
        response = fn()
        assert response.status_code == 200, (label, response.status_code)
        print(f"  {label:42s} {_quantiles(_time(fn, repeat))}")


def bench_retention(entries: int, tmp: Path) -> None:
    from django.db import connection

    from logbook.services import Entry, entries_append
    from logbook.verify import verify_chain
    from portal.retention import archive_logbook

    for start in range(0, entries, 1000):
        entries_append([Entry(action="bench", category="note", actor_name="bench", message=f"Entrée {start + i}",
                              site=(1, "Site 1"), new={"n": start + i}) for i in range(min(1000, entries - start))])
    with connection.cursor() as c:
        c.execute("SELECT clock_timestamp()")
        cutoff = c.fetchone()[0]
    started = time.perf_counter()
    checkpoint = archive_logbook(before=cutoff, archive_dir=tmp / "archive")
    archived = time.perf_counter() - started
    started = time.perf_counter()
    result = verify_chain()
    verified = time.perf_counter() - started
    assert result.ok, str(result)
    size = Path(checkpoint.archive_path).stat().st_size / 1e6
    print(f"  archive {checkpoint.count} entries (verify + file + checkpoint + delete): {archived:.2f} s "
          f"({checkpoint.count / archived:,.0f} entries/s), file {size:.1f} MB")
    print(f"  verify_logbook afterwards (from the checkpoint): {verified * 1000:.0f} ms, {result.checked} entries")


def inner(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arc.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    world = generate(args.events)
    print(f"data: 300 customers, 3,010 sites, 60,000 alarms, {args.events:,} signal events "
          f"({time.perf_counter() - started:.0f} s to generate)")
    print("requests (one process, Django test client through the full middleware stack):")
    bench_requests(world, args.repeat)
    print("retention:")
    bench_retention(args.entries, Path(os.environ["ARC_VAR_DIR"]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return inner(args)
    from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

    with tempfile.TemporaryDirectory(prefix="arc-bench-portal-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port(), fsync=True)
        redis = EmbeddedRedis(Path(tmp) / "redis", free_port(), persist=False)
        pg.start()
        redis.start()
        try:
            env = dict(os.environ, DATABASE_URL=pg.url, REDIS_URL=redis.url, ARC_VAR_DIR=str(Path(tmp) / "var"),
                       ARC_DEBUG="0", ARC_LOGIN_THROTTLE="0")
            return subprocess.run([sys.executable, __file__, "--inner", *sys.argv[1:]], env=env).returncode
        finally:
            redis.stop()
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())
