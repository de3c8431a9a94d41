// Live video tiles: WebRTC from the video service, negotiated over the
// console websocket (ws/console/); MJPEG from the video service as fallback.
// A tile is <figure class="video-tile" data-camera="ID" [data-alarm="ID"]>.
// Tiles added later (htmx panels) are picked up by a MutationObserver.

const ANSWER_TIMEOUT_MS = 8000;
const pending = new Map();
let socket = null;
let socketOpen = null;

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function openSocket() {
  if (socket && socket.readyState <= 1) return socketOpen;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/console/`);
  socketOpen = new Promise((resolve, reject) => {
    socket.addEventListener("open", () => resolve(socket), { once: true });
    socket.addEventListener("close", () => reject(new Error("socket closed")), { once: true });
  });
  socket.addEventListener("message", (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if ((msg.type === "video.answer" || msg.type === "video.error") && pending.has(msg.session)) {
      const waiter = pending.get(msg.session);
      pending.delete(msg.session);
      if (msg.type === "video.answer") waiter.resolve(msg); else waiter.reject(new Error(msg.error || "error"));
    }
  });
  socket.addEventListener("close", () => {
    for (const [, waiter] of pending) waiter.reject(new Error("socket closed"));
    pending.clear();
    socket = null;
    // Live streams survive a socket drop (media does not go through it); reconnect lazily.
  });
  return socketOpen;
}

function newSession() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function iceComplete(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

class LiveTile {
  constructor(el) {
    this.el = el;
    this.camera = parseInt(el.dataset.camera, 10);
    this.alarm = el.dataset.alarm ? parseInt(el.dataset.alarm, 10) : null;
    this.video = el.querySelector("video");
    this.img = el.querySelector("img.video-mjpeg");
    this.state = el.querySelector(".video-state");
    this.pc = null;
    this.session = null;
    this.mode = "off";
    this.retry = null;
  }

  label(name) {
    const key = "l" + name[0].toUpperCase() + name.slice(1);
    return this.el.dataset[key] || name;
  }

  setState(state, text) {
    if (!this.state) return;
    this.state.dataset.state = state;
    this.state.textContent = text;
  }

  async start() {
    this.stop();
    this.mode = "connecting";
    this.setState("connecting", this.label("connecting"));
    const session = newSession();
    this.session = session;
    try {
      const ws = await openSocket();
      const pc = new RTCPeerConnection({ iceServers: [] });
      this.pc = pc;
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addEventListener("track", (event) => {
        this.video.srcObject = event.streams[0] || new MediaStream([event.track]);
        this.video.play().catch(() => {});
      });
      pc.addEventListener("connectionstatechange", () => {
        if (this.pc !== pc) return;
        if (pc.connectionState === "connected") { this.mode = "webrtc"; this.setState("online", `● ${this.codec || ""}`.trim()); }
        if (pc.connectionState === "failed") this.fallback("webrtc failed");
      });
      await pc.setLocalDescription(await pc.createOffer());
      await iceComplete(pc, 2000);
      const answer = await new Promise((resolve, reject) => {
        pending.set(session, { resolve, reject });
        ws.send(JSON.stringify({ type: "video.offer", session, camera: this.camera, alarm: this.alarm,
                                 sdp: pc.localDescription.sdp }));
        setTimeout(() => { if (pending.delete(session)) reject(new Error("timeout")); }, ANSWER_TIMEOUT_MS);
      });
      if (this.session !== session) return;
      this.codec = answer.codec;
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    } catch (err) {
      if (this.session !== session) return;
      if (err.message === "camera_inactive") { this.stop(); this.setState("offline", this.label("offline")); this.later(15000); return; }
      if (err.message === "forbidden") { this.stop(); this.setState("error", this.label("forbidden")); return; }
      this.fallback(err.message);
    }
  }

  async fallback(reason) {
    const session = this.session;
    this.closePeer();
    this.mode = "mjpeg";
    try {
      const body = new URLSearchParams();
      if (this.alarm) body.set("alarm", String(this.alarm));
      const response = await fetch(this.el.dataset.tokenUrl, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } });
      if (!response.ok) throw new Error(`token ${response.status}`);
      const { url } = await response.json();
      if (this.session !== session) return;
      this.video.hidden = true;
      this.img.hidden = false;
      this.img.src = url;
      this.img.onerror = () => { this.setState("offline", this.label("unavailable")); this.later(15000); };
      this.setState("online", "● MJPEG");
    } catch (err) {
      this.setState("offline", this.label("unavailable"));
      this.later(15000);
    }
    console.warn("video: camera", this.camera, "fell back to MJPEG:", reason);
  }

  later(ms) {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => { if (this.el.isConnected && !this.el.hidden) this.start(); }, ms);
  }

  closePeer() {
    if (this.pc) {
      const pc = this.pc;
      this.pc = null;
      try { pc.close(); } catch {}
      if (socket && socket.readyState === 1 && this.session) {
        socket.send(JSON.stringify({ type: "video.hangup", session: this.session }));
      }
    }
  }

  stop() {
    clearTimeout(this.retry);
    this.closePeer();
    if (this.img) { this.img.removeAttribute("src"); this.img.hidden = true; }
    if (this.video) { this.video.srcObject = null; this.video.hidden = false; }
    this.session = null;
    this.mode = "off";
  }
}

const tiles = new Map();
window.arcVideo = { tiles };

function adopt(root) {
  root.querySelectorAll?.(".video-tile").forEach((el) => {
    if (tiles.has(el)) return;
    const tile = new LiveTile(el);
    tiles.set(el, tile);
    if (!el.closest(".video-wall")) tile.start();
  });
}

function forget() {
  for (const [el, tile] of tiles) {
    if (!el.isConnected) { tile.stop(); tiles.delete(el); }
  }
}

function cycleWall(wall, seconds) {
  const items = Array.from(wall.querySelectorAll(".video-tile"));
  if (!items.length) return;
  let index = 0;
  const show = () => {
    items.forEach((el, i) => {
      const tile = tiles.get(el);
      el.hidden = i !== index;
      if (i === index) tile.start(); else tile.stop();
    });
    index = (index + 1) % items.length;
  };
  show();
  if (items.length > 1) setInterval(show, seconds * 1000);
}

async function pollStatus(page) {
  const url = page.dataset.statusUrl;
  if (!url) return;
  const ids = Array.from(tiles.values()).map((t) => t.camera);
  if (!ids.length) return;
  try {
    const params = new URLSearchParams(ids.map((id) => ["camera", String(id)]));
    const response = await fetch(`${url}?${params}`, { credentials: "same-origin" });
    const data = await response.json();
    for (const tile of tiles.values()) {
      const info = data.cameras[tile.camera];
      if (!info || !tile.el.isConnected) continue;
      tile.el.title = `${info.label} — ${info.fps} i/s`;
      if (info.state === "offline" && tile.mode !== "webrtc") tile.setState("offline", info.label);
    }
  } catch {}
}

adopt(document);
new MutationObserver((mutations) => {
  for (const m of mutations) m.addedNodes.forEach((n) => n.nodeType === 1 && adopt(n));
  forget();
}).observe(document.body, { childList: true, subtree: true });

const page = document.querySelector(".video-page");
const wall = document.querySelector(".video-wall[data-cycle]");
if (wall) cycleWall(wall, parseInt(page.dataset.every || "15", 10));
if (page) setInterval(() => pollStatus(page), 5000);
window.addEventListener("pagehide", () => tiles.forEach((t) => t.stop()));
