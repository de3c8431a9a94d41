"""/health/ must answer when it matters most: with PostgreSQL or Redis down, it says so
(JSON, 503) instead of failing with a server error."""

from __future__ import annotations

import time

import pytest
import requests

from tests.faults.harness.console import login

pytestmark = [pytest.mark.faults]


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=15)


def test_health_reports_a_database_and_a_redis_outage(cluster):
    web = cluster.web()
    base = f"http://127.0.0.1:{web.port}"
    assert get(f"{base}/health/live/").status_code == 200
    session = login(base, "op1", cluster.seed["users"]["op1"])
    assert "problems" in session.get(f"{base}/health/", timeout=15).json()
    assert get(f"{base}/health/").json()["checks"]["database"]["status"] == "ok"

    cluster.redis.stop()
    time.sleep(2.5)  # past the 2-second health cache
    body = get(f"{base}/health/").json()
    assert body["checks"]["redis"]["status"] == "degraded"
    cluster.redis.start()

    cluster.pg.stop()
    try:
        time.sleep(2.5)
        response = get(f"{base}/health/")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "down" and body["checks"]["database"]["status"] == "down"
        assert get(f"{base}/health/live/").status_code == 503
        # The console polls with its session: the session store is down too, it still gets JSON.
        staff = session.get(f"{base}/health/", timeout=15)
        assert staff.status_code == 503 and staff.json()["status"] == "down"
    finally:
        cluster.pg.start()
    deadline = time.monotonic() + 20
    while get(f"{base}/health/").json()["checks"]["database"]["status"] != "ok":
        assert time.monotonic() < deadline, "health never saw the database come back"
        time.sleep(0.5)
