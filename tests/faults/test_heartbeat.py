"""arc.heartbeat: beat() never raises or blocks; read_all() sees Redis and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from arc import heartbeat
from arc.models import ProcessHeartbeat


@pytest.fixture
def clean_heartbeats(transactional_db):
    client = heartbeat._redis()
    for name in client.smembers(heartbeat.NAMES_KEY):
        client.delete(heartbeat.KEY_PREFIX + name.decode())
    client.delete(heartbeat.NAMES_KEY)
    with heartbeat._lock:
        heartbeat._latest.clear()
        heartbeat._dirty_redis.clear()
        heartbeat._dirty_pg.clear()
        heartbeat._last_redis_write.clear()
    yield


def test_beat_reaches_redis_and_postgresql(clean_heartbeats):
    before = time.time()
    heartbeat.beat("receiver:rx9", {"last_frame_at": 123.5, "frames": 4})
    heartbeat.flush()
    found = heartbeat.read_all()
    assert found["receiver:rx9"].detail == {"last_frame_at": 123.5, "frames": 4}
    assert found["receiver:rx9"].at >= before
    assert found["receiver:rx9"].kind == "receiver" and found["receiver:rx9"].instance == "rx9"
    row = ProcessHeartbeat.objects.get(name="receiver:rx9")
    assert row.detail["frames"] == 4
    only_db = heartbeat.read_all(use_redis=False)
    assert only_db["receiver:rx9"].source == "database"
    only_redis = heartbeat.read_all(use_database=False)
    assert only_redis["receiver:rx9"].source == "redis"
    assert 0 < heartbeat._redis().ttl(heartbeat.KEY_PREFIX + "receiver:rx9") <= heartbeat.TTL


def test_beat_is_cheap_and_the_writer_thread_publishes(clean_heartbeats):
    started = time.perf_counter()
    for i in range(20_000):
        heartbeat.beat("timers", {"tick": i})
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, f"20,000 beats took {elapsed:.2f} s"  # ~0.1 s on an idle machine
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = heartbeat.read_all(use_database=False)
        if "timers" in found and found["timers"].detail["tick"] == 19_999:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the writer thread never published the last beat to Redis")


def test_beat_never_raises_when_redis_is_unreachable(clean_heartbeats, settings, monkeypatch):
    import redis

    broken = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setattr(heartbeat, "_redis", lambda: broken)
    heartbeat.beat("video", {"cameras": 3})
    heartbeat.beat("video", object())  # not even a dict: still no exception
    heartbeat.flush()
    found = heartbeat.read_all()  # Redis unreadable: the PostgreSQL row answers
    assert found["video"].source == "database"
