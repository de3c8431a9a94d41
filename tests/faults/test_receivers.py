"""Faults 1-3: receivers killed, failing over, and PostgreSQL stopped, under load.

Each runs DC-09 load from senders keeping their own ledger of ACKed frames and
then checks, against the signal journal, that nothing ACKed was lost and
nothing was journaled twice (a retransmission after a lost ACK is recognised
as a duplicate), and that intake turned every accepted event into its outcome.
"""

from __future__ import annotations

import pytest

from tests.faults.scenarios import postgres_outage, receiver_failover, receiver_killed_and_restarted

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def assert_nothing_lost(result: dict) -> None:
    assert result["acked"] > 0
    assert result["lost"] == [], f"ACKed but not journaled: {result['lost'][:5]}"
    assert result["duplicated"] == [], f"journaled twice: {result['duplicated'][:5]}"
    assert result["unacked"] == 0, "every event must be ACKed in the end (the panel keeps retrying)"
    assert result["pending_left"] == 0 and result["unprocessed_events"] == 0


def test_receiver_killed_and_restarted_mid_stream(cluster):
    result = receiver_killed_and_restarted(cluster)
    assert_nothing_lost(result)
    assert result["acked_before_kill"] > 5
    assert result["acks_while_down"] == 0
    assert result["recovery_seconds"] is not None and result["recovery_seconds"] < 10


def test_primary_receiver_killed_senders_fail_over(cluster):
    result = receiver_failover(cluster)
    assert_nothing_lost(result)
    assert result["failovers"] >= 1
    assert result["by_receiver"].get("rx1", 0) > 0 and result["by_receiver"].get("rx2", 0) > 0
    assert result["acked_after_kill"] > 10
    assert result["failover_seconds"] < 10


def test_postgresql_stopped_no_ack_without_commit_then_recovery(cluster):
    result = postgres_outage(cluster, outage=8)
    assert result["acks_during_outage"] == 0, "an ACK while PostgreSQL was down cannot follow a commit"
    assert result["recovery_seconds"] is not None and result["recovery_seconds"] < 10, result
    assert result["receiver_alive"], "the receiver must ride out the outage, not die"
    assert_nothing_lost(result)
