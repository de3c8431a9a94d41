// The handling view: live status of this alarm (same feed protocol as the
// queue), keyboard shortcuts, loud banner while the feed is down.
import { Feed } from "./feed.js";

const config = JSON.parse(document.getElementById("handling-config").textContent);
const $ = (sel) => document.querySelector(sel);

function shownVersion() {
  return Number($("#sec-status")?.dataset.version || 0);
}

function typing() {
  return [...document.querySelectorAll("#handling textarea, #handling input[type=text], #handling input[type=password]")]
    .some((field) => field.value.trim() !== "");
}

function refresh(row) {
  if (!window.htmx) return;
  const handling = $("#handling");
  const holderChanged = row && String(row.taken_by ?? "") !== String(handling.dataset.holder ?? "");
  if (holderChanged && !typing()) {
    window.htmx.ajax("GET", config.body, { target: "#handling", swap: "outerHTML" });
  } else {
    window.htmx.ajax("GET", config.status, { target: "#sec-status", swap: "outerHTML" });
    document.body.dispatchEvent(new Event("arc:refresh"));
  }
}

function onEvents(events) {
  for (const e of events) {
    if (e.alarm_id !== config.alarm || !e.alarm) continue;
    if (e.alarm.version > shownVersion()) refresh(e.alarm);
  }
}

function onStatus(status) {
  const banner = $("#feed-banner");
  banner.hidden = status === "live";
  banner.textContent = config.strings.feedDown;
  document.body.classList.toggle("feed-down", status !== "live");
}

const feed = new Feed({ wsPath: config.ws, snapshotUrl: config.snapshot, eventsUrl: config.events,
                        onEvents, onStatus, onSnapshot: () => {}, reconcileMs: 30000 });
feed.start();
window.arcHandling = { feed };

const KEYS = {
  t: () => $("#take-btn")?.click(),
  a: () => $("#ack-btn")?.click(),
  c: () => $("#comment-text")?.focus(),
  h: () => $("#hold-reason")?.focus(),
  q: () => $("#qualification")?.focus(),
  Escape: () => { location.href = config.console; },
};

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select")) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  const action = KEYS[event.key];
  if (action) { event.preventDefault(); action(); }
});
