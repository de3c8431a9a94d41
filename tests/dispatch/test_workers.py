"""The timers on real processes: a Celery worker and beat as subprocesses on
the test PostgreSQL and Redis (tests/processes.py). An escalation fires; a
worker killed in the middle of one fires it once after a restart; a Redis
restart loses nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection, connections

from alarms.models import AlarmEvent
from arc.embedded import EmbeddedRedis, free_port
from dispatch.models import EscalationRung
from logbook.models import LogEntry
from tests.dispatch.conftest import raise_alarm

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def fast_ladder(after_seconds: int) -> None:
    EscalationRung.objects.all().delete()
    EscalationRung.objects.create(priority=1, level=1, after_seconds=after_seconds, label="Réalerte",
                                  audience="operators", colour="red")


def escalated(alarm):
    return AlarmEvent.objects.filter(alarm=alarm, kind="escalated").count()


@pytest.fixture
def celery_env(tmp_path):
    # A queue of its own: messages left by another test's processes never reach this one.
    return {"ARC_CELERY_QUEUE": f"t-{uuid.uuid4().hex[:8]}", "ARC_TIMERS_STALE_SECONDS": "120"}


def start_worker(arc_process, env, name="w1"):
    return arc_process("celery", "-A", "arc", "worker", "--concurrency=1", "--pool=prefork", "-n", f"{name}@%h",
                       "--loglevel=INFO", "--without-gossip", "--without-mingle", env=env, python_module=True)


def start_beat(arc_process, env, tmp_path):
    return arc_process("celery", "-A", "arc", "beat", "--loglevel=INFO", "--schedule",
                       str(tmp_path / f"beat-{uuid.uuid4().hex[:6]}"), env=env, python_module=True)


def test_escalation_fires_with_real_worker_and_beat(arc_process, celery_env, site_a, tmp_path):
    fast_ladder(3)
    start_worker(arc_process, celery_env)
    start_beat(arc_process, celery_env, tmp_path)
    alarm = raise_alarm(site_a, code="FA")
    wait_for(lambda: escalated(alarm), 40, "the escalation")
    time.sleep(2)
    assert escalated(alarm) == 1
    assert LogEntry.objects.filter(alarm_id=alarm.pk, action="alarm.escalated").count() == 1


def test_worker_killed_mid_escalation_fires_once_after_restart(arc_process, celery_env, site_a, tmp_path):
    fast_ladder(3)
    alarm = raise_alarm(site_a, code="FA")
    # Hold the logbook chain head: the worker's escalation will block on its last
    # write (entry_append), with the alarm row locked and the feed row written.
    holder = connections.create_connection("default")
    holder.ensure_connection()
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT 1 FROM logbook_chainhead WHERE id = 1 FOR UPDATE")
    worker = start_worker(arc_process, celery_env)
    start_beat(arc_process, celery_env, tmp_path)

    def blocked_backend():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND query ILIKE '%%logbook_append%%' AND pid <> pg_backend_pid()")
            row = cursor.fetchone()
        return row[0] if row else None

    pid = wait_for(blocked_backend, 40, "the worker to block in the middle of the escalation")
    worker.kill()  # SIGKILL to the worker and its pool: no cleanup, no goodbye
    holder.rollback()
    holder.close()

    def gone():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone()[0] == 0

    wait_for(gone, 20, "PostgreSQL to drop the killed worker's session")
    assert escalated(alarm) == 0, "the killed worker's half-done escalation must have rolled back"
    start_worker(arc_process, celery_env, name="w2")
    wait_for(lambda: escalated(alarm), 40, "the escalation after the restart")
    time.sleep(2)
    assert escalated(alarm) == 1
    assert LogEntry.objects.filter(alarm_id=alarm.pk, action="alarm.escalated").count() == 1


def test_redis_restarted_still_fires(arc_process, celery_env, site_a, tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis", free_port(), persist=False)
    redis.start()
    try:
        env = {**celery_env, "REDIS_URL": redis.url}
        fast_ladder(8)
        start_worker(arc_process, env)
        start_beat(arc_process, env, tmp_path)
        alarm = raise_alarm(site_a, code="FA")
        wait_for(lambda: AlarmEvent.objects.filter(alarm=alarm).exists() and
                 type(alarm).objects.get(pk=alarm.pk).escalation_due_at, 40, "the ladder to be armed")
        redis.kill()  # the broker disappears, queued messages with it
        due = type(alarm).objects.get(pk=alarm.pk).escalation_due_at
        while time.time() < due.timestamp() + 1:
            time.sleep(0.2)
        assert escalated(alarm) == 0
        redis.start()  # an empty Redis on the same port
        wait_for(lambda: escalated(alarm), 60, "the escalation after Redis came back")
        time.sleep(2)
        assert escalated(alarm) == 1
    finally:
        redis.stop()


def test_beat_raises_the_system_alarm_when_no_worker_runs_the_ticks(arc_process, celery_env, customer_a, tmp_path):
    from alarms.models import Signal
    from dispatch.engine import record_tick
    from tests.builders import make_site

    make_site(customer_a, code="ARC", name="Centre ARC (système)")
    record_tick({"fired": 0})  # the timers ran once... and then no worker is left
    start_beat(arc_process, {**celery_env, "ARC_TIMERS_STALE_SECONDS": "3"}, tmp_path)
    signal = wait_for(lambda: Signal.objects.filter(site__code="ARC", peer="arc-timers").first(), 30,
                      "beat's watchdog to raise the timers alarm")
    assert "Temporisations arrêtées" in signal.payload
    time.sleep(4)
    assert Signal.objects.filter(site__code="ARC", peer="arc-timers").count() == 1
    assert LogEntry.objects.filter(action="timers.outage").count() == 1


def test_worker_raises_the_system_alarm_when_beat_is_dead(arc_process, celery_env, customer_a):
    from alarms.models import Signal
    from dispatch.engine import record_tick
    from tests.builders import make_site

    make_site(customer_a, code="ARC", name="Centre ARC (système)")
    record_tick({"fired": 0})  # the last tick beat ever sent
    start_worker(arc_process, {**celery_env, "ARC_TIMERS_STALE_SECONDS": "3"})
    signal = wait_for(lambda: Signal.objects.filter(site__code="ARC", peer="arc-timers").first(), 40,
                      "the worker's watchdog to raise the timers alarm")
    assert "Temporisations arrêtées" in signal.payload
    assert LogEntry.objects.get(action="timers.outage").new_values["seen_by"] == "worker"
