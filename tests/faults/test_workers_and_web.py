"""Faults 4-6: Redis restarted, a Celery worker killed mid-escalation, a web node killed.

All under DC-09 load with a ledger (nothing ACKed lost or duplicated), with a
console client that speaks the browser's protocol (snapshot, socket, resync).
"Converged" means the console's open alarms and their versions equal
PostgreSQL's: initial state + events == fresh state.
"""

from __future__ import annotations

import pytest

from tests.faults.scenarios import redis_restarted, web_node_killed, worker_killed_mid_escalation

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def assert_nothing_lost(result: dict) -> None:
    assert result["acked"] > 0
    assert result["lost"] == [] and result["duplicated"] == [], result
    assert result["unacked"] == 0 and result["pending_left"] == 0 and result["unprocessed_events"] == 0


def test_web_node_killed_consoles_reconnect_to_the_other_and_resync(cluster):
    result = web_node_killed(cluster)
    assert_nothing_lost(result)
    assert result["reconnect_seconds"] < 10
    assert result["connects"] == 2
    assert result["pushes"] > 0


def test_redis_restarted_consoles_resync_and_timers_fire(cluster):
    result = redis_restarted(cluster)
    assert_nothing_lost(result)
    assert result["converge_seconds"] < 20
    assert result["escalations_due"] > 0 and result["timers_fired"], result


def test_worker_killed_mid_escalation_fires_once(cluster):
    result = worker_killed_mid_escalation(cluster, rounds=2)
    assert_nothing_lost(result)
    print(result["rounds"])
    for r in result["rounds"]:
        assert r["killed"], f"no worker caught inside an escalation transaction: {r}"
        assert r["fired_before_kill"] < r["alarms"]
    for r in result["rounds"]:
        assert r["twice"] == [], f"escalated twice: {r}"
        assert r["missing"] == [], f"never escalated: {r}"
    assert result["logbook_matches_feed"]
