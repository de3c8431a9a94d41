"""Load figures of the whole centre (issue 9): ``python bench/load.py [--duration 600]``.

A private centre (own PostgreSQL and Redis, the fault harness) runs the
multi-node topology: 2 receivers, 2 intake workers, 2 web nodes, 2 Celery
workers, beat, the video service. Against it, in separate processes:

- 10,000 transmitters polling every 60 s (NULL), half with rx1 as primary and
  half with rx2, plus alarm events at 20/s (BA, random panels and zones);
- 200 console WebSockets (operators and supervisors) over both web nodes;
- after the steady phase, the storm: 3,000 signals/s for 60 s (AT, mains
  failure, from every panel) on top of the steady load.

Nobody takes the alarms, so every alarm climbs the escalation ladder: the
timers carry the worst case, not the usual one.

Reported: ACK p50/p99 per phase, receipt-to-screen p99 (signal received →
the feed event on the first and on the last of the 200 screens), timer
lateness p99 (escalation fired − due), intake backlog, CPU and memory per
process (psutil), and which resource saturated first. Shorter runs:
``--duration 120 --storm-duration 20``; ``--no-storm``. Figures go to stdout
and to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import psutil  # noqa: E402

from tests.faults.harness.cluster import Cluster, build_template, seed_info  # noqa: E402


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


class Monitor(threading.Thread):
    """Samples CPU and memory of every process (with its children) and the intake backlog."""

    def __init__(self, cluster: Cluster, interval: float = 2.0):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.interval = interval
        self.samples: dict[str, list[tuple[float, float, float]]] = {}  # name -> (t, cpu %, rss MiB)
        self.backlog: list[tuple[float, int]] = []
        self.load: list[tuple[float, float]] = []
        self.waits: dict[str, int] = {}  # what PostgreSQL sessions were waiting on, summed over samples
        self.stopping = False
        self._procs: dict[int, psutil.Process] = {}

    def _targets(self) -> dict[str, int]:
        targets = {name: proc.pid for name, proc in self.cluster.procs.items() if proc.alive}
        if self.cluster.pg.process:
            targets["postgresql"] = self.cluster.pg.process.pid
        if self.cluster.redis.process:
            targets["redis"] = self.cluster.redis.process.pid
        return targets

    def _cpu_rss(self, pid: int) -> tuple[float, float]:
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0, 0.0
        cpu = rss = 0.0
        for p in tree:
            cached = self._procs.setdefault(p.pid, p)
            try:
                cpu += cached.cpu_percent(None)
                rss += cached.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return cpu, rss / 2**20

    def run(self) -> None:
        while not self.stopping:
            now = time.time()
            for name, pid in self._targets().items():
                cpu, rss = self._cpu_rss(pid)
                self.samples.setdefault(name, []).append((now, cpu, rss))
            try:
                pending = int(self.cluster.sql(
                    "SELECT count(*) FROM alarms_signal WHERE process_state = 'pending'")[0][0])
                self.backlog.append((now, pending))
            except Exception:
                pass
            try:
                for kind, count in self.cluster.sql(
                        "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' ' || "
                        "coalesce(left(regexp_replace(query, '\\s+', ' ', 'g'), 60), ''), count(*) "
                        "FROM pg_stat_activity WHERE state IN ('active', 'idle in transaction') "
                        "AND pid <> pg_backend_pid() GROUP BY 1"):
                    self.waits[kind] = self.waits.get(kind, 0) + int(count)
            except Exception:
                pass
            self.load.append((now, os.getloadavg()[0]))
            time.sleep(self.interval)

    def summary(self, since: float, until: float) -> dict[str, dict]:
        out = {}
        for name, rows in self.samples.items():
            window = [r for r in rows if since <= r[0] <= until][1:]  # the first cpu_percent reads 0
            if window:
                out[name] = {"cpu_avg": statistics.mean(r[1] for r in window), "cpu_max": max(r[1] for r in window),
                             "rss_max_mib": max(r[2] for r in window)}
        return out


def start_topology(cluster: Cluster) -> dict:
    rx1, rx2 = cluster.receiver("rx1"), cluster.receiver("rx2")
    cluster.intake("intake1")
    cluster.intake("intake2")
    web1, web2 = cluster.web("web1"), cluster.web("web2")
    cluster.worker("worker1", concurrency=2)
    cluster.worker("worker2", concurrency=2)
    cluster.beat()
    cluster.add("video", cluster.manage_argv("run_video")).start()
    return {"receivers": [["127.0.0.1", rx1.port], ["127.0.0.1", rx2.port]],
            "bases": [f"http://127.0.0.1:{web1.port}", f"http://127.0.0.1:{web2.port}"]}


def run_generator(module: str, spec: dict, work: Path, name: str) -> tuple[subprocess.Popen, Path]:
    spec_path, out = work / f"{name}.spec.json", work / f"{name}.out.json"
    spec_path.write_text(json.dumps(spec))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ARC_")}, "PYTHONPATH": str(BASE_DIR)}
    log = open(work / f"{name}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", module, "--spec", str(spec_path), "--out", str(out)],
                            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, out


def receipt_to_screen(cluster: Cluster, fleet: dict, since_id: int) -> dict:
    """Signal received_at → feed event on the first / last screen, for created and signal events."""
    rows = cluster.sql(
        "SELECT e.id, extract(epoch FROM coalesce(s.received_at, a.first_signal_at)) "
        "FROM alarms_alarmevent e LEFT JOIN alarms_alarm a ON a.id = e.alarm_id "
        "LEFT JOIN alarms_signal s ON s.id = (e.data->>'signal')::bigint "
        f"WHERE e.id > {since_id} AND e.kind IN ('created', 'signal')")
    received = {int(r[0]): float(r[1]) for r in rows if r[1]}
    first, last, count = fleet["first"], fleet["last"], fleet["count"]
    to_first = [first[str(i)] - t for i, t in received.items() if str(i) in first]
    to_last = [last[str(i)] - t for i, t in received.items() if str(i) in last]
    never = sum(1 for i in received if str(i) not in first)
    partial = sum(1 for i in received if str(i) in count and count[str(i)] < fleet["connected_at_ready"])
    return {"events": len(received), "p50_first": pct(to_first, 50), "p99_first": pct(to_first, 99),
            "p50_last": pct(to_last, 50), "p99_last": pct(to_last, 99), "max_last": max(to_last, default=None),
            "never_on_screen": never, "not_on_every_screen": partial}


def timer_lateness(cluster: Cluster, since: float) -> dict:
    """Escalations fired − due (ladder rung after the alarm was queued), for non-repeat rungs."""
    from dispatch.ladder_defaults import DEFAULT_RUNGS

    after = {(p, level): a for p, level, a, *_ in DEFAULT_RUNGS}
    rows = cluster.sql(
        "SELECT a.priority, (e.data->>'level')::int, extract(epoch FROM e.created_at), "
        "extract(epoch FROM a.created_at) FROM alarms_alarmevent e JOIN alarms_alarm a ON a.id = e.alarm_id "
        f"WHERE e.kind = 'escalated' AND e.created_at > to_timestamp({since}) "
        "AND coalesce(e.data->>'repeat', 'false') <> 'true' AND a.first_taken_at IS NULL")
    late = []
    for priority, level, fired, created in rows:
        rung = after.get((int(priority), int(level)))
        if rung is not None:
            late.append(float(fired) - (float(created) + rung))
    return {"escalations": len(late), "p50": pct(late, 50), "p99": pct(late, 99), "max": max(late, default=None)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("ARC_BENCH_DURATION", 600)))
    parser.add_argument("--transmitters", type=int, default=10_000)
    parser.add_argument("--poll-period", type=float, default=60)
    parser.add_argument("--alarm-rate", type=float, default=20)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--storm-rate", type=float, default=3000)
    parser.add_argument("--storm-duration", type=float, default=60)
    parser.add_argument("--no-storm", action="store_true")
    parser.add_argument("--drain", type=float, default=180, help="max seconds to wait for the intake backlog")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="arc-bench-load-"))
    print(f"[load] work dir {work}; building the database ({args.transmitters} transmitters)…", flush=True)
    started = time.time()
    template = build_template(work, panels=args.transmitters, encrypted=0, seed_args=("--bulk",))
    seed = seed_info(work)
    env = {"ARC_DC09_RATE_PER_ADDRESS": "100000", "ARC_DC09_MAX_CONN_PER_ADDRESS": "5000",
           "ARC_HEALTH_RECEIVERS": "rx1,rx2"}
    cluster = Cluster(work / "centre", template=template, env=env)
    cluster.seed = seed
    stop_file = work / "stop"
    generators = []
    monitor = Monitor(cluster)
    try:
        cluster.start_servers()
        topology = start_topology(cluster)
        print(f"[load] centre up in {time.time() - started:.0f} s; opening {args.sockets} consoles…", flush=True)
        monitor.start()
        fleet_proc, fleet_out = run_generator("bench.loadgen.fleet", {
            "bases": topology["bases"], "users": seed["users"], "sockets": args.sockets,
            "stop_file": str(stop_file), "ready_file": str(work / "fleet.ready")}, work, "fleet")
        generators.append(fleet_proc)
        deadline = time.monotonic() + 180
        while not (work / "fleet.ready").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        connected = int((work / "fleet.ready").read_text()) if (work / "fleet.ready").exists() else 0
        first_event = int(cluster.sql("SELECT coalesce(max(id), 0) FROM alarms_alarmevent")[0][0])
        storm = 0 if args.no_storm else args.storm_duration
        total = args.duration + storm
        accounts = seed["plain"]
        phases = [{"name": "alarm", "rate": args.alarm_rate, "start": 0, "duration": total,
                   "accounts": accounts, "connections": 20}]
        if storm:
            phases.append({"name": "storm", "rate": args.storm_rate, "start": args.duration, "duration": storm,
                           "accounts": accounts, "connections": 100, "code": "AT"})
        print(f"[load] {connected} sockets connected; steady load for {args.duration:.0f} s"
              + (f", then the storm for {storm:.0f} s" if storm else ""), flush=True)
        # Polls in one process, alarms in another, the storm split over two more.
        load_started = time.time()
        poll_proc, poll_out = run_generator("bench.loadgen.senders", {
            "receivers": topology["receivers"], "poll_accounts": accounts, "poll_period": args.poll_period,
            "poll_connections": 100, "duration": total, "phases": [], "stop_file": str(stop_file)}, work, "polls")
        alarm_proc, alarm_out = run_generator("bench.loadgen.senders", {
            "receivers": topology["receivers"], "poll_accounts": [], "poll_period": args.poll_period,
            "duration": total, "phases": phases[:1], "stop_file": str(stop_file)}, work, "alarms")
        outs = [poll_out, alarm_out]
        generators += [poll_proc, alarm_proc]
        if storm:
            for half in range(2):
                storm_phase = dict(phases[1], rate=args.storm_rate / 2, connections=50,
                                   accounts=accounts[half::2])
                proc, out = run_generator("bench.loadgen.senders", {
                    "receivers": topology["receivers"], "poll_accounts": [], "poll_period": args.poll_period,
                    "duration": total, "phases": [storm_phase], "stop_file": str(stop_file)}, work, f"storm{half}")
                generators.append(proc)
                outs.append(out)
        for proc in generators[1:]:
            proc.wait(total + 120)
        load_ended = time.time()
        # Drain: how long until intake has processed everything the receivers ACKed.
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < args.drain:
            if int(cluster.sql("SELECT count(*) FROM alarms_signal WHERE process_state = 'pending'")[0][0]) == 0:
                break
            time.sleep(1)
        drain_seconds = time.monotonic() - drain_started
        time.sleep(3)  # last pushes reach the screens
        stop_file.write_text("stop")
        fleet_proc.wait(60)
        monitor.stopping = True
        results = [json.loads(o.read_text()) for o in outs if o.exists()]
        fleet = json.loads(fleet_out.read_text()) if fleet_out.exists() else {"first": {}, "last": {}, "count": {},
                                                                               "connected_at_ready": 0}
        figures = report(args, cluster, monitor, results, fleet, first_event, load_started, load_ended,
                         drain_seconds, connected)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
        return 0
    finally:
        stop_file.write_text("stop")
        for proc in generators:
            if proc.poll() is None:
                proc.kill()
        monitor.stopping = True
        cluster.close()


def report(args, cluster, monitor, results, fleet, first_event, load_started, load_ended, drain_seconds,
           connected) -> dict:
    merged: dict[str, list[float]] = {}
    sent: dict[str, int] = {}
    timeouts: dict[str, int] = {}
    replies: dict[str, dict] = {}
    for r in results:
        for phase, values in r["latencies"].items():
            merged.setdefault(phase, []).extend(values)
        for phase, n in r["sent"].items():
            sent[phase] = sent.get(phase, 0) + n
        for phase, n in r["timeouts"].items():
            timeouts[phase] = timeouts.get(phase, 0) + n
        for phase, counts in r["replies"].items():
            for token, n in counts.items():
                replies.setdefault(phase, {})[token] = replies.setdefault(phase, {}).get(token, 0) + n
    storm_window = args.storm_duration if not args.no_storm else 0
    acks = {phase: {"sent": sent.get(phase, 0), "acked": len(v), "timeouts": timeouts.get(phase, 0),
                    "replies": replies.get(phase, {}), "p50": pct(v, 50), "p99": pct(v, 99), "max": max(v, default=None),
                    "achieved_per_s": len(v) / (storm_window if phase == "storm" else (load_ended - load_started))}
            for phase, v in merged.items()}
    screen = receipt_to_screen(cluster, fleet, first_event)
    timers = timer_lateness(cluster, load_started)
    steady_until = load_started + args.duration
    processes = {"steady": monitor.summary(load_started + 10, steady_until),
                 "storm": monitor.summary(steady_until, load_ended) if storm_window else {}}
    backlog_max = max((n for _t, n in monitor.backlog), default=0)
    counts = dict(cluster.sql("SELECT outcome, count(*) FROM alarms_signal GROUP BY outcome"))
    alarms = int(cluster.sql("SELECT count(*) FROM alarms_alarm")[0][0])
    load_avg = statistics.mean(v for _t, v in monitor.load) if monitor.load else None
    figures = {"args": vars(args), "acks": acks, "receipt_to_screen": screen, "timer_lateness": timers,
               "processes": processes, "backlog_max": backlog_max, "drain_seconds": drain_seconds,
               "journal": counts, "alarms": alarms, "sockets_connected": connected,
               "fleet_disconnects": fleet.get("disconnects"), "machine_load_avg": load_avg,
               "cpus": psutil.cpu_count(), "backlog_series": monitor.backlog,
               "pg_waits": dict(sorted(monitor.waits.items(), key=lambda kv: -kv[1])[:15])}
    print("\n== ARC load figures ==")
    print(f"machine: {psutil.cpu_count()} CPUs, load average during the run {load_avg:.1f} "
          "(other engineers' processes included)")
    for phase, a in acks.items():
        print(f"ACK [{phase:5}] sent {a['sent']}, ACKed {a['acked']} ({a['achieved_per_s']:.0f}/s), "
              f"timeouts {a['timeouts']}; p50 {ms(a['p50'])}, p99 {ms(a['p99'])}, max {ms(a['max'])}")
    print(f"receipt→screen ({screen['events']} feed events, {connected} sockets): first screen p50 "
          f"{ms(screen['p50_first'])} p99 {ms(screen['p99_first'])}; last screen p50 {ms(screen['p50_last'])} "
          f"p99 {ms(screen['p99_last'])} max {ms(screen['max_last'])}; never on screen {screen['never_on_screen']}")
    print(f"timer lateness ({timers['escalations']} escalations): p50 {ms(timers['p50'])} p99 {ms(timers['p99'])} "
          f"max {ms(timers['max'])}")
    print(f"intake backlog max {backlog_max} signals; drained {drain_seconds:.0f} s after the load stopped; "
          f"journal {counts}; alarms {alarms}")
    for phase, procs in processes.items():
        if not procs:
            continue
        print(f"processes during {phase} (CPU % of one core avg/max, RSS max):")
        for name, p in sorted(procs.items(), key=lambda kv: -kv[1]["cpu_avg"]):
            print(f"  {name:12} {p['cpu_avg']:6.1f} / {p['cpu_max']:6.1f} %  {p['rss_max_mib']:7.1f} MiB")
    print("PostgreSQL sessions, by what they waited on (samples every 2 s, top 8):")
    for kind, count in list(figures["pg_waits"].items())[:8]:
        print(f"  {count:6}  {kind}")
    series = monitor.backlog[:: max(1, len(monitor.backlog) // 12)]
    print("intake backlog over time: " + ", ".join(f"+{t - load_started:.0f}s {n}" for t, n in series))
    busiest = {phase: max(procs.items(), key=lambda kv: kv[1]["cpu_avg"])[0] for phase, procs in processes.items()
               if procs}
    print(f"busiest process: {busiest}")
    figures["busiest"] = busiest
    return figures


if __name__ == "__main__":
    sys.exit(main())
