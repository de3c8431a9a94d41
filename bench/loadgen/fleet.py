"""Console sockets: ``python -m bench.loadgen.fleet --spec spec.json --out result.json``.

Logs in the spec's users through the real login form, opens ``sockets``
console WebSockets spread over the web nodes (sharing the users' sessions, as
browser tabs do), sends the browser's 20-second heartbeat, and records for
every feed event id the time it first and last reached a screen and on how
many screens. Stops when the stop file appears.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import websockets

from bench.loadgen import run
from tests.faults.harness.console import login


class Arrivals:
    def __init__(self):
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.count: dict[int, int] = {}
        self.connected = 0
        self.disconnects = 0
        self.messages = 0

    def seen(self, event_id: int, at: float) -> None:
        if event_id not in self.first:
            self.first[event_id] = at
        self.last[event_id] = at
        self.count[event_id] = self.count.get(event_id, 0) + 1


async def socket_loop(base: str, cookie: str, arrivals: Arrivals, stop_file: Path) -> None:
    url = base.replace("http://", "ws://") + "/ws/console/"
    while not stop_file.exists():
        try:
            async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": base},
                                          open_timeout=20, ping_interval=None, max_size=2**24) as ws:
                arrivals.connected += 1
                last_beat = time.monotonic() - random.random() * 20
                while not stop_file.exists():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
                    except TimeoutError:
                        raw = None
                    if raw is not None:
                        now = time.time()
                        arrivals.messages += 1
                        message = json.loads(raw)
                        if message.get("type") == "events":
                            for event in message["events"]:
                                if isinstance(event.get("id"), int):
                                    arrivals.seen(event["id"], now)
                    if time.monotonic() - last_beat >= 20:
                        await ws.send(json.dumps({"type": "heartbeat", "active": time.time()}))
                        last_beat = time.monotonic()
                arrivals.connected -= 1
        except (OSError, TimeoutError, websockets.WebSocketException):
            arrivals.disconnects += 1
            await asyncio.sleep(1)


async def main_async(spec: dict, out: Path) -> None:
    stop_file = Path(spec["stop_file"])
    bases = spec["bases"]
    loop = asyncio.get_running_loop()
    cookies = []
    for n, (username, password) in enumerate(spec["users"].items()):
        session = await loop.run_in_executor(None, login, bases[n % len(bases)], username, password)
        cookies.append("; ".join(f"{c.name}={c.value}" for c in session.cookies))
    arrivals = Arrivals()
    tasks = [asyncio.create_task(socket_loop(bases[i % len(bases)], cookies[i % len(cookies)], arrivals, stop_file))
             for i in range(spec["sockets"])]
    ready = Path(spec["ready_file"])
    deadline = time.monotonic() + 120
    while arrivals.connected < spec["sockets"] and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    ready.write_text(str(arrivals.connected))
    await asyncio.gather(*tasks)
    out.write_text(json.dumps({"first": arrivals.first, "last": arrivals.last, "count": arrivals.count,
                               "disconnects": arrivals.disconnects, "messages": arrivals.messages,
                               "connected_at_ready": int(ready.read_text())}))


if __name__ == "__main__":
    run(main_async)
