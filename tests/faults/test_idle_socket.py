"""Fault 9: an operator's WebSocket idle for 10 minutes is not closed by the server.

In ``make test`` the idle period is 45 s: the same server settings (daphne
``--websocket_timeout -1``, ``--ping-interval 20``, the console consumer that
never closes on inactivity) and more than two ping rounds, which is where an
idle-timeout or a missed ping would show. The 10-minute variant is
``bench/faults_long.py --only idle``.
"""

from __future__ import annotations

import pytest

from tests.faults.scenarios import idle_console

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_idle_operator_socket_stays_open_and_live(cluster):
    result = idle_console(cluster, idle_seconds=45)
    assert result["still_open"], result
    assert result["connects"] == 1 and result["closed_by_server"] == []
    assert result["pushed_after_idle"]
