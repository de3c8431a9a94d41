"""/health/, /health/live/ and manage.py healthcheck, from real heartbeats and the real journal."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from arc import health, heartbeat
from arc.models import ProcessHeartbeat

ALL_KINDS = ["receiver:rx1", "receiver:rx2", "intake:host-1", "timers", "video"]


def put_beat(name: str, age: float = 0.0, detail: dict | None = None) -> None:
    """A heartbeat as a process would have written it ``age`` seconds ago."""
    payload = {"name": name, "at": time.time() - age, "detail": detail or {}, "host": heartbeat.HOST, "pid": 1}
    client = heartbeat._redis()
    client.set(heartbeat.KEY_PREFIX + name, json.dumps(payload), ex=heartbeat.TTL)
    client.sadd(heartbeat.NAMES_KEY, name)


@pytest.fixture
def centre(db, settings):
    settings.HEALTH_CACHE_SECONDS = 0
    settings.HEALTH_RECEIVERS = ["rx1", "rx2"]
    client = heartbeat._redis()
    for name in client.smembers(heartbeat.NAMES_KEY):
        client.delete(heartbeat.KEY_PREFIX + name.decode())
    client.delete(heartbeat.NAMES_KEY)
    ProcessHeartbeat.objects.all().delete()
    health.reset_cache()
    yield
    health.reset_cache()


def test_all_processes_beating_is_ok(centre, client):
    for name in ALL_KINDS:
        put_beat(name, age=1)
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "receivers", "intake", "timers", "video"}
    assert all(check == {"status": "ok"} for check in body["checks"].values())
    assert "problems" not in body  # anonymous callers get statuses only


def test_staff_see_details_and_problems_in_french(centre, client, operator):
    for name in ["receiver:rx1", "intake:host-1", "timers", "video"]:
        put_beat(name, age=1)
    put_beat("receiver:rx2", age=120, detail={"last_frame_at": time.time() - 125})
    client.force_login(operator)
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    rx2 = body["checks"]["receivers"]["receivers"]["rx2"]
    assert rx2["status"] == "down" and rx2["heartbeat_age"] >= 119 and rx2["last_frame_age"] >= 124
    assert body["checks"]["receivers"]["alive"] == 1
    assert any("Récepteur rx2" in p and "hors service" in p for p in body["problems"])
    english = client.get("/health/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["status"] == "degraded"
    assert any(p.startswith("Receiver rx2: down for") for p in english["problems"]), english["problems"]


def test_no_receiver_alive_is_down(centre, client):
    put_beat("receiver:rx1", age=300)
    for name in ["intake:host-1", "timers", "video"]:
        put_beat(name, age=1)
    body = client.get("/health/").json()
    assert body["status"] == "down"
    assert body["checks"]["receivers"]["status"] == "down"


def test_late_timers_and_silent_video_degrade(centre, operator, client):
    for name in ["receiver:rx1", "receiver:rx2", "intake:host-1"]:
        put_beat(name, age=1)
    put_beat("timers", age=40)
    client.force_login(operator)
    body = client.get("/health/").json()
    assert body["checks"]["timers"]["status"] == "degraded"
    assert body["checks"]["video"]["status"] == "degraded"  # never beat at all
    assert body["status"] == "degraded"
    assert len(body["problems"]) == 2


def test_receiver_last_frame_comes_from_the_journal(centre, operator, client):
    from alarms.models import Signal

    for name in ALL_KINDS:
        put_beat(name, age=1)
    at = timezone.now() - dt.timedelta(seconds=7)
    Signal.objects.create(received_at=at, receiver="rx2", transport="tcp", outcome="accepted")
    client.force_login(operator)
    rx2 = client.get("/health/").json()["checks"]["receivers"]["receivers"]["rx2"]
    assert 6 <= rx2["last_frame_age"] < 30


def test_intake_backlog_degrades(centre, operator, client):
    from alarms.models import Signal

    for name in ALL_KINDS:
        put_beat(name, age=1)
    old = timezone.now() - dt.timedelta(seconds=90)
    for _ in range(3):
        Signal.objects.create(received_at=old, receiver="rx1", transport="tcp", outcome="accepted",
                              process_state="pending")
    client.force_login(operator)
    body = client.get("/health/").json()
    assert body["checks"]["intake"]["pending"] == 3
    assert body["checks"]["intake"]["oldest_pending_age"] >= 89
    assert body["status"] == "degraded"
    assert any("3 signaux en attente" in p for p in body["problems"])


def test_heartbeats_survive_redis_loss_through_postgresql(centre, client, monkeypatch):
    import redis

    for name in ALL_KINDS:
        ProcessHeartbeat.objects.create(name=name, at=timezone.now(), host="h")
    broken = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(heartbeat, "_redis", lambda: broken)
    body = client.get("/health/").json()
    assert body["checks"]["redis"]["status"] == "degraded"
    assert body["checks"]["receivers"]["status"] == "ok"  # from the PostgreSQL rows
    assert body["status"] == "degraded"


def test_live_endpoint(centre, client):
    assert client.get("/health/live/").json() == {"status": "ok"}


def test_healthcheck_command_exit_codes(centre, capsys):
    for name in ALL_KINDS:
        put_beat(name, age=1)
    call_command("healthcheck")  # ok: returns normally
    assert "centre: ok" in capsys.readouterr().out
    put_beat("receiver:rx1", age=300)
    put_beat("receiver:rx2", age=300)
    with pytest.raises(SystemExit) as exit_info:
        call_command("healthcheck")
    assert exit_info.value.code == 2
    call_command("healthcheck", "--process", "beat")
    with pytest.raises(SystemExit):
        call_command("healthcheck", "--process", "receiver", "--name", "rx1", "--port", "1")
