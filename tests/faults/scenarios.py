"""The fault scenarios, shared by tests/faults (short, bounded) and bench/faults_long.py (the
durations of the issue text). Each takes a started ``Cluster`` and its durations, injects
the fault, and returns what it measured; the callers assert or print.
"""

from __future__ import annotations

import time

from tests.faults.harness.cluster import Cluster
from tests.faults.harness.console import ConsoleClient, login

INJECT_ALARM = """
from alarms.services.intake import signal_submit
from sites.models import Site
site = Site.objects.get(code={site!r})
signal_submit(source="api", site=site, process_now=True,
              events=[{{"protocol": "SIA-DCS", "code": "BA", "qualifier": "new", "zone": "{zone}"}}])
"""


def inject_alarm(cluster: Cluster, *, site: str = "FLT000", zone: str = "7") -> None:
    """An alarm through the intake service (the HTTP-API path), in a subprocess."""
    cluster.manage("shell", "-c", INJECT_ALARM.format(site=site, zone=zone))


def open_alarm_ids(cluster: Cluster) -> set[int]:
    return {int(r[0]) for r in cluster.sql("SELECT id FROM alarms_alarm WHERE state <> 'closed'")}


def idle_console(cluster: Cluster, *, idle_seconds: float) -> dict:
    """Fault 9: an operator's socket that sends nothing at all for ``idle_seconds``.

    The browser normally sends a heartbeat every 20 s; this client sends none
    (a throttled background tab), and answers only the protocol-level pings
    daphne sends (--ping-interval 20), as every browser does. The server must
    not close it, and it must still get pushes afterwards.
    """
    web = cluster.web()
    base = f"http://127.0.0.1:{web.port}"
    session = login(base, "op1", cluster.seed["users"]["op1"])
    client = ConsoleClient([base], session, resync_every=10**6, heartbeat_every=None).start()
    try:
        client.wait(lambda s: s.connected, 20, "connected")
        started = time.monotonic()
        time.sleep(idle_seconds)
        with client.lock:
            still_open = client.state.connected and client.state.connects == 1 and not client.state.closed_by_server
        before = time.time()
        inject_alarm(cluster)
        client.wait(lambda s: any(at >= before for at in s.pushed_at.values()), 30, "a push after the idle period")
        return {"idle_seconds": time.monotonic() - started, "still_open": still_open,
                "connects": client.state.connects, "closed_by_server": list(client.state.closed_by_server),
                "pushed_after_idle": True}
    finally:
        client.stop()
