// The console's live feed: PostgreSQL is the truth, the websocket a doorbell.
//
// 1. Snapshot over HTTP: the queue plus the feed cursor (read first).
// 2. Websocket: pushed events (with their ids) and bare doorbells ("event N").
// 3. Gap detection: pushed ids jumping past the cursor, or a doorbell whose row
//    did not arrive within 1.5 s, trigger an HTTP fetch of what was missed by id.
// 4. On every (re)connect: fetch everything after the cursor at once.
// 5. Every 20 s: a full snapshot compared with what is on screen (reconciliation).
// 6. While the socket is down: HTTP polling every 2 s, a loud banner, and
//    reconnection with exponential backoff (0.5 s doubling to 5 s, jittered).
// Overlap window: ids skipped (allocated before commit) are read again from just
// below the lowest one for 15 s; everything is de-duplicated by id, and the
// queue keeps the highest Alarm.version it saw.

const SEEN_MAX = 20000;
const HOLE_MS = 15000;
const MAX_HOLES = 500;

export class Feed {
  constructor(opts) {
    this.opts = Object.assign({ reconcileMs: 20000, pollMs: 2000, livePollMs: 5000, heartbeatMs: 20000, pongTimeoutMs: 10000,
                                doorbellGraceMs: 1500 }, opts);
    this.cursor = 0;
    this.seen = new Set();
    this.seenOrder = [];
    this.holes = new Map();
    this.status = "connecting";
    this.attempt = 0;
    this.fetching = null;
    this.fetchAgain = false;
    this.lastActivity = Date.now();
    this.stats = { pushed: 0, fetched: 0, gaps: 0, reconnects: 0, reconciliations: 0, polls: 0 };
    for (const type of ["keydown", "mousedown", "mousemove", "touchstart"]) {
      window.addEventListener(type, () => { this.lastActivity = Date.now(); }, { passive: true });
    }
  }

  async start() {
    await this.reconcile(true);
    this.connect();
    this.reconcileTimer = setInterval(() => this.reconcile(false), this.opts.reconcileMs);
    // Polling: every 2 s while the socket is down; every 5 s even when live, in
    // case a doorbell was dropped (the channel layer delivers at most once).
    this.lastFetch = 0;
    this.pollTimer = setInterval(() => {
      const due = this.status === "live" ? this.opts.livePollMs : this.opts.pollMs;
      if (Date.now() - this.lastFetch >= due) { this.stats.polls++; this.fetchSince(); }
    }, 500);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
  }

  setStatus(status, detail) {
    if (this.status === status && !detail) return;
    this.status = status;
    this.opts.onStatus?.(status, detail);
  }

  remember(id) {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > SEEN_MAX) this.seen.delete(this.seenOrder.shift());
    return true;
  }

  // The overlap window: ids skipped (allocated before commit, or a dropped
  // push) are "holes"; reads start just below the lowest one until it is
  // filled or HOLE_MS have passed (see alarms/feed_window.py).
  floor() {
    const now = Date.now();
    for (const [id, at] of this.holes) if (now - at > HOLE_MS) this.holes.delete(id);
    return this.holes.size ? Math.min(...this.holes.keys()) - 1 : this.cursor;
  }

  apply(events, via) {
    const fresh = [];
    const now = Date.now();
    for (const e of [...events].sort((a, b) => a.id - b.id)) {
      this.holes.delete(e.id);
      if (this.remember(e.id)) fresh.push(e);
      if (e.id > this.cursor) {
        const gap = e.id - this.cursor - 1;
        if (gap > 0 && gap <= MAX_HOLES) {
          for (let id = this.cursor + 1; id < e.id; id++) if (!this.seen.has(id)) this.holes.set(id, now);
        }
        this.cursor = e.id;
      }
    }
    if (fresh.length) this.opts.onEvents?.(fresh, via);
    return fresh;
  }

  async getJSON(url) {
    // X-ARC-Background: a poll is not operator activity (idle timeout, portal/middleware.py).
    const response = await fetch(url, { credentials: "same-origin",
                                        headers: { Accept: "application/json", "X-ARC-Background": "1" },
                                        cache: "no-store" });
    if (response.status === 401 || response.status === 403 || response.redirected) {
      this.setStatus("unauthorised");
      throw new Error("not logged in");
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  // Fetch what was missed by id; concurrent calls coalesce into one more round.
  fetchSince() {
    if (this.fetching) { this.fetchAgain = true; return this.fetching; }
    this.fetching = (async () => {
      try {
        do {
          this.fetchAgain = false;
          this.lastFetch = Date.now();
          const page = await this.getJSON(`${this.opts.eventsUrl}?after=${this.floor()}`);
          this.stats.fetched++;
          this.apply(page.events, "fetch");
          if (page.more) this.fetchAgain = true;
          this.httpOk = true;
        } while (this.fetchAgain);
      } catch (err) {
        this.httpOk = false;
        if (this.status !== "live") this.setStatus("down", "http");
      } finally {
        this.fetching = null;
      }
    })();
    return this.fetching;
  }

  // A full snapshot: the first load, then a periodic comparison with the screen.
  async reconcile(first) {
    try {
      const startedAt = performance.now();
      const snap = await this.getJSON(this.opts.snapshotUrl);
      this.stats.reconciliations++;
      this.opts.onSnapshot?.(snap, first, startedAt);
      if (first) {
        // Everything up to snap.cursor is in the snapshot's rows (the cursor was
        // read first); whatever commits later is read from there.
        this.cursor = snap.cursor;
        this.fetchSince();
      } else if (snap.cursor > this.cursor) {
        this.fetchSince();
      }
      this.httpOk = true;
    } catch (err) {
      this.httpOk = false;
      if (first) setTimeout(() => this.reconcile(true), 1000);
    }
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}${this.opts.wsPath}`);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.connectedAt = performance.now();
      this.lastPong = Date.now();
      this.setStatus("live");
      this.heartbeat();
      this.fetchSince(); // whatever happened while we were away, at once
    };
    ws.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch (err) { return; }
      this.lastPong = Date.now();
      if (data.type === "events") {
        this.stats.pushed += data.events.length;
        this.apply(data.events, "push");
        // Gap detection: ids skipped by the push are fetched by id if they are
        // still missing in a moment (a slow commit fills itself through the pump).
        if (this.holes.size) {
          clearTimeout(this.holeTimer);
          this.holeTimer = setTimeout(() => { if (this.floor() < this.cursor) { this.stats.gaps++; this.fetchSince(); } },
                                      this.opts.doorbellGraceMs);
        }
      } else if (data.type === "feed.event") {
        const id = data.id;
        setTimeout(() => {
          if (!this.seen.has(id)) { this.stats.gaps++; this.fetchSince(); }
        }, this.opts.doorbellGraceMs);
      } else if (data.type !== "heartbeat" && data.type !== "hello") {
        this.opts.onMessage?.(data);
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === 4403 || event.code === 4401) {
        this.setStatus("unauthorised");
        return;
      }
      this.setStatus("down", "ws");
      this.fetchSince();
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleReconnect() {
    const delay = Math.min(5000, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt++;
    this.stats.reconnects++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  heartbeat() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastPong > this.opts.heartbeatMs + this.opts.pongTimeoutMs) {
      ws.close(); // half-open link: the server never closes idle sockets, so we do
      return;
    }
    ws.send(JSON.stringify({ type: "heartbeat", active: this.lastActivity / 1000 }));
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(message)); return true; }
    return false;
  }
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export async function postForm(url, fields) {
  const body = new URLSearchParams(fields);
  const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
                                      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" } });
  let data = {};
  try { data = await response.json(); } catch (err) { data = { ok: false, error: `HTTP ${response.status}` }; }
  return { status: response.status, data };
}
