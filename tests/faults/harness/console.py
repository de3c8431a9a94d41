"""A console client speaking CONSOLE's protocol, as the browser does.

- log in through the real login form (Django session cookie);
- ``GET /console/snapshot.json`` for the queue and the feed cursor;
- the WebSocket ``ws/console/`` (``hello``, ``events`` pushed by the process's
  feed pump, ``feed.event`` doorbells, ``heartbeat`` every 20 s);
- on connect, on reconnect and periodically: ``GET /console/events.json?after=cursor``
  (the resync), so nothing missed while the link was down stays missed.

With several web addresses it reconnects to the next one when its node dies,
as a browser behind the load balancer would. Runs its own asyncio loop in a
thread, so synchronous tests can drive it; several clients can share one loop
(``ConsoleFleet``) for the 200-socket benchmark.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass, field

import requests
import websockets


def login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise RuntimeError(f"no CSRF token on {base}/login/ ({page.status_code})")
    response = session.post(f"{base}/login/", data={"username": username, "password": password,
                                                    "csrfmiddlewaretoken": match.group(1)},
                            headers={"Referer": f"{base}/login/"}, timeout=10, allow_redirects=False)
    if response.status_code not in (302, 303) or "sessionid" not in session.cookies:
        raise RuntimeError(f"login of {username} failed: {response.status_code} {response.text[:300]}")
    return session


@dataclass
class ConsoleState:
    alarms: dict[int, dict] = field(default_factory=dict)  # id -> latest alarm row (by version)
    cursor: int = 0
    event_ids: set[int] = field(default_factory=set)
    pushed_at: dict[int, float] = field(default_factory=dict)  # event id -> when the socket delivered it
    connects: int = 0
    disconnects: int = 0
    resyncs: int = 0
    closed_by_server: list[tuple[float, int | None]] = field(default_factory=list)
    connected: bool = False
    node: str = ""

    def apply(self, events: list[dict], *, pushed: bool) -> None:
        now = time.time()
        for event in events:
            eid = event.get("id")
            if isinstance(eid, int):
                if pushed and eid not in self.event_ids:
                    self.pushed_at[eid] = now
                self.event_ids.add(eid)
                self.cursor = max(self.cursor, eid)
            row = event.get("alarm")
            if row and (row["id"] not in self.alarms or row.get("version", 0) >= self.alarms[row["id"]].get("version", 0)):
                self.alarms[row["id"]] = row


class ConsoleClient:
    def __init__(self, bases: list[str], session: requests.Session, *, resync_every: float = 30.0,
                 heartbeat_every: float | None = 20.0, reconnect_pause: float = 0.5):
        self.bases = bases
        self.session = session
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.state = ConsoleState()
        self.lock = threading.Lock()
        self.resync_every = resync_every
        self.heartbeat_every = heartbeat_every
        self.reconnect_pause = reconnect_pause
        self.index = 0
        self.stopping = False
        self.ws = None

    # --- HTTP (blocking; run in a thread from the loop) ----------------------------------
    def _get(self, path: str) -> dict:
        last = None
        for attempt in range(len(self.bases)):
            base = self.bases[(self.index + attempt) % len(self.bases)]
            try:
                response = self.session.get(f"{base}{path}", timeout=5)
                response.raise_for_status()
                return response.json()
            except (requests.RequestException, ValueError) as exc:
                last = exc
        raise ConnectionError(f"no web node answered {path}: {last}")

    def snapshot(self) -> dict:
        data = self._get("/console/snapshot.json")
        with self.lock:
            self.state.alarms = {row["id"]: row for row in data["alarms"]}
            self.state.cursor = max(self.state.cursor, data["cursor"])
        return data

    def resync(self) -> None:
        while True:
            with self.lock:
                after = self.state.cursor
            page = self._get(f"/console/events.json?after={after}")
            with self.lock:
                self.state.apply(page["events"], pushed=False)
                self.state.cursor = max(self.state.cursor, page["cursor"])
                self.state.resyncs += 1
            if not page.get("more"):
                return

    # --- the socket ---------------------------------------------------------------------------
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.snapshot)
        while not self.stopping:
            base = self.bases[self.index % len(self.bases)]
            url = base.replace("http://", "ws://") + "/ws/console/"
            try:
                async with websockets.connect(url, additional_headers={"Cookie": self.cookie, "Origin": base},
                                              open_timeout=5, ping_interval=None, max_size=2**24) as ws:
                    self.ws = ws
                    with self.lock:
                        self.state.connects += 1
                        self.state.connected = True
                        self.state.node = base
                    await loop.run_in_executor(None, self.resync)  # what happened while away
                    await self._session(ws, loop)
            except asyncio.CancelledError:
                raise
            except websockets.ConnectionClosed as exc:
                with self.lock:
                    self.state.closed_by_server.append((time.time(), exc.rcvd.code if exc.rcvd else None))
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI, ConnectionError):
                pass
            finally:
                self.ws = None
                with self.lock:
                    if self.state.connected:
                        self.state.disconnects += 1
                    self.state.connected = False
            if self.stopping:
                break
            self.index += 1  # the next node, as the balancer would send us
            await asyncio.sleep(self.reconnect_pause)

    async def _session(self, ws, loop) -> None:
        last_resync = last_beat = time.monotonic()
        while not self.stopping:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
            except TimeoutError:
                raw = None
            if raw is not None:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "events":
                    with self.lock:
                        self.state.apply(message["events"], pushed=True)
            now = time.monotonic()
            if self.heartbeat_every and now - last_beat >= self.heartbeat_every:
                await ws.send(json.dumps({"type": "heartbeat", "active": time.time()}))
                last_beat = now
            if now - last_resync >= self.resync_every:
                await loop.run_in_executor(None, self.resync)
                last_resync = now

    # --- thread wrapper for synchronous tests -------------------------------------------------
    def start(self) -> ConsoleClient:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.run(),), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping = True
        if getattr(self, "thread", None):
            self.thread.join(10)

    def wait(self, predicate, timeout: float = 30, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self.state):
                    return
            time.sleep(0.05)
        raise AssertionError(f"console: {what} not reached within {timeout:.0f} s")
