"""The fault scenarios at the durations of the issue text: ``python bench/faults_long.py
[--only NAME ...]``.

``tests/faults`` runs them shortened inside ``make test``; here PostgreSQL is
stopped for the full 20 s, the operator socket stays idle for 10 minutes, and
the load around each fault runs longer. Each scenario gets a fresh private
centre (own PostgreSQL and Redis); the figures are printed as they come.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.faults import scenarios  # noqa: E402
from tests.faults.harness.cluster import Cluster, build_template, seed_info  # noqa: E402

SCENARIOS = {
    "receiver_restart": lambda c: scenarios.receiver_killed_and_restarted(c, rate=15, before=10, down=10, after=20),
    "failover": lambda c: scenarios.receiver_failover(c, rate=15, before=10, after=30),
    "postgres_20s": lambda c: scenarios.postgres_outage(c, rate=10, before=10, outage=20, after=20),
    "redis_restart": lambda c: scenarios.redis_restarted(c, rate=10, before=10, down=10, after=20),
    "worker_kill": lambda c: scenarios.worker_killed_mid_escalation(c, rounds=5),
    "web_kill": lambda c: scenarios.web_node_killed(c, rate=10, before=10, after=20),
    "idle": lambda c: scenarios.idle_console(c, idle_seconds=600),
}


def summary(result: dict) -> dict:
    out = dict(result)
    for key in ("lost", "duplicated"):
        if key in out:
            out[key] = len(out[key])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="arc-bench-faults-"))
    print(f"[faults] work dir {root}; building the template database…", flush=True)
    template = build_template(root)
    seed = seed_info(root)
    failed = []
    for name in args.only or SCENARIOS:
        cluster = Cluster(root / name, template=template)
        cluster.seed = seed
        started = time.monotonic()
        try:
            cluster.start_servers()
            result = summary(SCENARIOS[name](cluster))
            ok = not result.get("lost") and not result.get("duplicated")
            print(f"== {name} ({time.monotonic() - started:.0f} s) {'OK' if ok else 'FAILED'}")
            print(json.dumps(result, indent=1, default=str), flush=True)
            if not ok:
                failed.append(name)
        except Exception as exc:
            failed.append(name)
            print(f"== {name} FAILED: {exc}\n{cluster.logs()[-3000:]}", flush=True)
        finally:
            cluster.close()
    print(f"[faults] {'all passed' if not failed else 'failed: ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
