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


# --- DC-09 load with a ledger ---------------------------------------------------------------

def panels_for(cluster: Cluster, count: int | None = None) -> list:
    from tests.faults.harness.dc09 import Panel

    accounts = cluster.seed["plain"][:count] if count else cluster.seed["plain"]
    return [Panel(account) for account in accounts]


class Load:
    """``senders`` panels' communicators sending events at ``rate``/s in total, one shared ledger."""

    def __init__(self, addresses: list[tuple[str, int]], panels: list, *, rate: float = 10, senders: int = 2,
                 reply_timeout: float = 2.0):
        from tests.faults.harness.dc09 import Ledger, Sender

        self.ledger = Ledger()
        groups = [panels[i::senders] for i in range(senders)]
        self.senders = [Sender(addresses, group, reply_timeout=reply_timeout, ledger=self.ledger)
                        for group in groups if group]
        self.rate = rate

    def start(self) -> Load:
        for sender in self.senders:
            sender.start(self.rate / len(self.senders))
        return self

    def stop(self) -> None:
        for sender in self.senders:
            sender.stop_event.set()
        for sender in self.senders:
            sender.stop()

    def acked_count(self) -> int:
        with self.ledger.lock:
            return sum(1 for e in self.ledger.entries if e.acked_at is not None)

    def wait_acked(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.acked_count() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.acked_count()} events ACKed, wanted {count}")
            time.sleep(0.05)


def wait_intake_done(cluster: Cluster, timeout: float = 60) -> int:
    """Wait until no signal is pending for the intake worker; returns the pending count left."""
    deadline = time.monotonic() + timeout
    pending = -1
    while time.monotonic() < deadline:
        pending = int(cluster.sql("SELECT count(*) FROM alarms_signal WHERE process_state = 'pending'")[0][0])
        if pending == 0:
            return 0
        time.sleep(0.25)
    return pending


def audit(cluster: Cluster, load: Load) -> dict:
    """The ledger against the journal, plus what intake made of it."""
    from tests.faults.harness.dc09 import check_ledger_against_journal

    result = check_ledger_against_journal(load.ledger, cluster.journal_events())
    result["pending_left"] = wait_intake_done(cluster)
    result["unprocessed_events"] = int(cluster.sql(
        "SELECT count(*) FROM alarms_signalevent e JOIN alarms_signal s ON s.id = e.signal_id "
        "WHERE s.outcome = 'accepted' AND e.disposition = 'pending'")[0][0])
    result["duplicates_recognised"] = int(cluster.sql(
        "SELECT count(*) FROM alarms_signal WHERE outcome = 'duplicate'")[0][0])
    result["unacked"] = len(load.ledger.unacked())
    result["failovers"] = load.ledger.failovers
    result["replies"] = dict(load.ledger.replies)
    return result


def receiver_killed_and_restarted(cluster: Cluster, *, rate: float = 10, before: float = 3, down: float = 2,
                                  after: float = 4) -> dict:
    """Fault 1: the only receiver SIGKILLed mid-stream, restarted on the same port."""
    cluster.intake()
    rx = cluster.receiver("rx1")
    load = Load([("127.0.0.1", rx.port)], panels_for(cluster), rate=rate).start()
    time.sleep(before)
    acked_before_kill = load.acked_count()
    rx.kill()
    killed_at = time.time()
    time.sleep(down)
    rx.start()
    restarted_at = time.time()
    time.sleep(after)
    load.stop()
    result = audit(cluster, load)
    first_ack_after = min((e.acked_at for e in load.ledger.acked() if e.acked_at > restarted_at), default=None)
    result.update(acked_before_kill=acked_before_kill, killed_at=killed_at,
                  recovery_seconds=(first_ack_after - restarted_at) if first_ack_after else None,
                  acks_while_down=sum(1 for e in load.ledger.acked() if killed_at < e.acked_at < restarted_at))
    return result


def receiver_failover(cluster: Cluster, *, rate: float = 10, before: float = 3, after: float = 5) -> dict:
    """Fault 2: two receivers; the primary SIGKILLed; the panels fail over to the backup."""
    cluster.intake()
    rx1 = cluster.receiver("rx1")
    rx2 = cluster.receiver("rx2")
    load = Load([("127.0.0.1", rx1.port), ("127.0.0.1", rx2.port)], panels_for(cluster), rate=rate).start()
    time.sleep(before)
    rx1.kill()
    killed_at = time.time()
    time.sleep(after)
    load.stop()
    result = audit(cluster, load)
    by_receiver = dict(cluster.sql("SELECT receiver, count(*) FROM alarms_signal WHERE outcome = 'accepted' "
                                   "GROUP BY receiver"))
    acked_after = [e for e in load.ledger.acked() if e.acked_at > killed_at]
    result.update(by_receiver={k: int(v) for k, v in by_receiver.items()}, acked_after_kill=len(acked_after),
                  failover_seconds=(min(e.acked_at for e in acked_after) - killed_at) if acked_after else None)
    return result


def postgres_outage(cluster: Cluster, *, rate: float = 10, before: float = 3, outage: float = 8,
                    after: float = 6) -> dict:
    """Fault 3: PostgreSQL stopped: no ACK without commit; ACKs again within 10 s of its return."""
    cluster.intake()
    rx = cluster.receiver("rx1")
    load = Load([("127.0.0.1", rx.port)], panels_for(cluster), rate=rate).start()
    time.sleep(before)
    cluster.pg.stop()
    down_at = time.time()
    time.sleep(outage)
    up_started = time.time()
    cluster.pg.start()
    up_at = time.time()
    time.sleep(after)
    load.stop()
    result = audit(cluster, load)
    acked = load.ledger.acked()
    first_after = min((e.acked_at for e in acked if e.acked_at > up_at), default=None)
    result.update(
        outage_seconds=up_started - down_at,
        acks_during_outage=sum(1 for e in acked if down_at < e.acked_at < up_started),
        recovery_seconds=(first_after - up_at) if first_after else None,
        receiver_alive=rx.alive,
    )
    return result
