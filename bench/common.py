"""Pieces every benchmark needs: percentiles, waiting for a port, stopping what it started.

Benchmarks run as scripts (`python bench/x.py`); each puts the project root on
sys.path and imports this module as ``bench.common``.
"""

from __future__ import annotations

import signal
import subprocess
import time


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``proc`` listens on 127.0.0.1:port; fail if it exits or times out."""
    from arc.embedded import port_open

    deadline = time.monotonic() + timeout
    while not port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"process for port {port} did not start")
        time.sleep(0.1)


def stop_processes(procs: list[subprocess.Popen], timeout: float = 15) -> None:
    """SIGTERM every process still running, then SIGKILL those that do not stop."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
