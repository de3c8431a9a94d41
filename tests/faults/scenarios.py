"""The fault scenarios, shared by tests/faults (short, bounded) and bench/faults_long.py (the
durations of the issue text). Each takes a started ``Cluster`` and its durations, injects
the fault, and returns what it measured; the callers assert or print.
"""

from __future__ import annotations

import os
import subprocess
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


IN_FLIGHT_GRACE = 0.2  # seconds


def receiver_killed_and_restarted(cluster: Cluster, *, rate: float = 10, before: float = 3, down: float = 2,
                                  after: float = 4) -> dict:
    """Fault 1: the only receiver SIGKILLed mid-stream, restarted on the same port."""
    cluster.intake()
    rx = cluster.receiver("rx1")
    load = Load([("127.0.0.1", rx.port)], panels_for(cluster), rate=rate).start()
    time.sleep(before)
    acked_before_kill = load.acked_count()
    rx.kill()  # returns once the process is gone
    killed_at = time.time()
    time.sleep(down)
    # Taken before start(): the new receiver may ACK before start() returns.
    restarted_at = time.time()
    rx.start()
    time.sleep(after)
    load.stop()
    result = audit(cluster, load)
    first_ack_after = min((e.acked_at for e in load.ledger.acked() if e.acked_at > restarted_at), default=None)
    result.update(acked_before_kill=acked_before_kill, killed_at=killed_at,
                  recovery_seconds=(first_ack_after - restarted_at) if first_ack_after else None,
                  # ACKs the dead receiver wrote before SIGKILL may still be read from the
                  # socket buffer just after it: the down window starts after a short grace.
                  acks_while_down=sum(1 for e in load.ledger.acked()
                                      if killed_at + IN_FLIGHT_GRACE < e.acked_at < restarted_at))
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


# --- consoles, web nodes, Redis, workers -----------------------------------------------------

def console_converged(cluster: Cluster, client: ConsoleClient) -> tuple[bool, dict]:
    """Initial state + events == fresh state: the console's open alarms (ids and versions)
    equal PostgreSQL's."""
    truth = {int(r[0]): int(r[1]) for r in cluster.sql(
        "SELECT id, version FROM alarms_alarm WHERE state NOT IN ('closed')")}
    with client.lock:
        seen = {aid: row.get("version", 0) for aid, row in client.state.alarms.items()
                if row.get("state") not in ("closed",)}
    missing = {a: v for a, v in truth.items() if seen.get(a) != v}
    return not missing, {"open_alarms": len(truth), "missing_or_stale": missing}


def wait_converged(cluster: Cluster, client: ConsoleClient, timeout: float) -> float:
    """Seconds until the console matches the database; raises after ``timeout``."""
    started = time.monotonic()
    detail = {}
    while time.monotonic() - started < timeout:
        ok, detail = console_converged(cluster, client)
        if ok:
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"console did not converge within {timeout:.0f} s: {detail}")


def web_node_killed(cluster: Cluster, *, rate: float = 8, before: float = 3, after: float = 6) -> dict:
    """Fault 6: two web nodes; the one a console is on is SIGKILLed under load."""
    cluster.intake()
    rx = cluster.receiver("rx1")
    web1, web2 = cluster.web("web1"), cluster.web("web2")
    bases = [f"http://127.0.0.1:{web1.port}", f"http://127.0.0.1:{web2.port}"]
    session = login(bases[0], "op1", cluster.seed["users"]["op1"])
    client = ConsoleClient(bases, session, resync_every=5).start()
    try:
        client.wait(lambda s: s.connected and s.node == bases[0], 20, "connected to web1")
        load = Load([("127.0.0.1", rx.port)], panels_for(cluster), rate=rate).start()
        time.sleep(before)
        web1.kill()
        killed_at = time.monotonic()
        client.wait(lambda s: s.connected and s.node == bases[1], 20, "reconnected to web2")
        reconnect_seconds = time.monotonic() - killed_at
        time.sleep(after)
        load.stop()
        result = audit(cluster, load)
        converge_seconds = wait_converged(cluster, client, 20)
        with client.lock:
            pushed_on_web2 = len(client.state.pushed_at)
        return {**result, "reconnect_seconds": reconnect_seconds, "converge_seconds": converge_seconds,
                "connects": client.state.connects, "pushes": pushed_on_web2}
    finally:
        client.stop()


def redis_restarted(cluster: Cluster, *, rate: float = 8, before: float = 3, down: float = 3,
                    after: float = 6) -> dict:
    """Fault 4: Redis restarted (empty: no persistence) under load; consoles resync, timers fire."""
    cluster.intake()
    rx = cluster.receiver("rx1")
    web = cluster.web("web1")
    cluster.worker("worker1")
    cluster.beat()
    base = f"http://127.0.0.1:{web.port}"
    session = login(base, "op1", cluster.seed["users"]["op1"])
    client = ConsoleClient([base], session, resync_every=5).start()
    try:
        client.wait(lambda s: s.connected, 20, "connected")
        load = Load([("127.0.0.1", rx.port)], panels_for(cluster), rate=rate).start()
        time.sleep(before)
        cluster.redis.stop()
        time.sleep(down)
        cluster.redis.start()
        back_at = time.time()
        time.sleep(after)
        load.stop()
        result = audit(cluster, load)
        converge_seconds = wait_converged(cluster, client, 20)
        # Timers after the restart: make every open alarm's ladder deadline due in 2 s.
        cluster.sql("UPDATE alarms_alarm SET escalation_due_at = now() + interval '2 seconds' "
                    "WHERE state = 'open'")
        due = int(cluster.sql("SELECT count(*) FROM alarms_alarm WHERE state = 'open'")[0][0])
        fired_at = None
        deadline = time.monotonic() + 30
        fired = 0
        while time.monotonic() < deadline:
            fired = int(cluster.sql("SELECT count(DISTINCT alarm_id) FROM alarms_alarmevent WHERE kind = 'escalated' "
                                    f"AND created_at > to_timestamp({back_at + after})")[0][0])
            if fired >= due:
                fired_at = time.monotonic()
                break
            time.sleep(0.25)
        with client.lock:
            pushes_after = sum(1 for at in client.state.pushed_at.values() if at > back_at)
        return {**result, "converge_seconds": converge_seconds, "escalations_due": due,
                "escalations_fired": fired, "timers_fired": fired_at is not None,
                "pushes_after_restart": pushes_after, "console_reconnects": client.state.connects - 1}
    finally:
        client.stop()


def _worker_waiting_in_transaction(cluster: Cluster, workers: list) -> object | None:
    """The worker whose database session is inside a transaction, waiting for the logbook chain head."""
    import psutil

    rows = cluster.sql("SELECT client_port FROM pg_stat_activity WHERE client_port IS NOT NULL "
                       "AND wait_event_type = 'Lock' AND (query ILIKE '%logbook_append%' OR query ILIKE '%chainhead%')")
    ports = {int(r[0]) for r in rows if r[0]}
    if not ports:
        return None
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port in ports and conn.pid:
            try:
                group = os.getpgid(conn.pid)
            except ProcessLookupError:
                continue
            for worker in workers:
                if worker.alive and worker.pid == group:
                    return worker
    return None


def _hold_chain_head(cluster: Cluster):
    """A session holding the logbook chain head: escalations stop inside their transaction."""
    holder = subprocess.Popen(
        [str(cluster.pg.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.pg.port), "-U", cluster.pg.user,
         "-d", cluster.pg.database, "-q"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN;\nSELECT 1 FROM logbook_chainhead WHERE id = 1 FOR UPDATE;\n")
    holder.stdin.flush()
    deadline = time.monotonic() + 10
    while not cluster.sql("SELECT 1 FROM pg_stat_activity WHERE state = 'idle in transaction' "
                          "AND query ILIKE '%logbook_chainhead%FOR UPDATE%'"):
        if time.monotonic() > deadline:
            raise RuntimeError("could not hold the logbook chain head")
        time.sleep(0.05)
    return holder


def _release(holder) -> None:
    try:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
    except OSError:
        pass
    holder.wait(10)


def worker_killed_mid_escalation(cluster: Cluster, *, alarms_wanted: int = 30, rounds: int = 3) -> dict:
    """Fault 5: two Celery workers; the one inside an escalation transaction is SIGKILLed.

    Every open alarm's ladder deadline is made due at the same instant while the
    logbook chain head is held, so the worker running the tick is caught inside
    an escalation transaction and killed there. Each alarm must then get
    exactly one escalation for that round: none lost with the dead worker,
    none fired twice by the survivor.
    """
    cluster.intake()
    rx = cluster.receiver("rx1")
    workers = [cluster.worker("worker1"), cluster.worker("worker2")]
    cluster.beat()
    # Alarms on distinct zones, from the DC-09 path with its ledger.
    load = Load([("127.0.0.1", rx.port)], panels_for(cluster), rate=20).start()
    deadline = time.monotonic() + 30
    while len(open_alarm_ids(cluster)) < alarms_wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    load.stop()
    result = audit(cluster, load)
    alarm_ids = open_alarm_ids(cluster)
    rounds_done = []
    for _round in range(rounds):
        # All deadlines due at one instant, while a session holds the logbook chain
        # head: the worker running the tick stops INSIDE an escalation transaction
        # (alarm row locked and updated, feed row written, waiting to append the
        # logbook entry). That worker is SIGKILLed there; then the head is released.
        start = cluster.sql("SELECT extract(epoch FROM now())")[0][0]
        holder = _hold_chain_head(cluster)
        killed, fired_at_kill = None, 0
        try:
            cluster.sql("UPDATE alarms_alarm SET escalation_due_at = now() + interval '1 second' "
                        "WHERE state = 'open'")
            until = time.monotonic() + 30
            while time.monotonic() < until and killed is None:
                victim = _worker_waiting_in_transaction(cluster, workers)
                if victim is not None:
                    victim.kill()
                    killed = victim.name
                    fired_at_kill = int(cluster.sql(
                        "SELECT count(*) FROM alarms_alarmevent WHERE kind = 'escalated' "
                        f"AND created_at > to_timestamp({start})")[0][0])
                else:
                    time.sleep(0.1)
        finally:
            _release(holder)
        # Wait for the survivor to fire the rest.
        until = time.monotonic() + 40
        per_alarm: dict[int, int] = {}
        while time.monotonic() < until:
            per_alarm = {int(a): int(n) for a, n in cluster.sql(
                "SELECT alarm_id, count(*) FROM alarms_alarmevent WHERE kind = 'escalated' "
                f"AND created_at > to_timestamp({start}) GROUP BY alarm_id")}
            if len(per_alarm) >= len(alarm_ids):
                break
            time.sleep(0.25)
        rounds_done.append({"killed": killed, "fired_before_kill": fired_at_kill, "alarms": len(alarm_ids),
                            "escalated": len(per_alarm), "twice": sorted(a for a, n in per_alarm.items() if n > 1),
                            "missing": sorted(alarm_ids - set(per_alarm))})
        for worker in workers:
            if not worker.alive:
                worker.start()
        time.sleep(1)
    logbook = {int(a): int(n) for a, n in cluster.sql(
        "SELECT alarm_id, count(*) FROM logbook_logentry WHERE action = 'alarm.escalated' GROUP BY alarm_id")}
    events = {int(a): int(n) for a, n in cluster.sql(
        "SELECT alarm_id, count(*) FROM alarms_alarmevent WHERE kind = 'escalated' GROUP BY alarm_id")}
    return {**result, "rounds": rounds_done, "logbook_matches_feed": logbook == events}
