// The live queue: priority then age, ageing colours, counts, filters, keyboard,
// sound + flash + notification per new alarm, mute (5 min at most), auto-feed,
// health banner. The feed protocol lives in feed.js.
import { Feed, postForm } from "./feed.js";
import { Alerter } from "./alert.js";

const config = JSON.parse(document.getElementById("console-config").textContent);
const T = JSON.parse(document.getElementById("console-i18n").textContent);
const $ = (sel) => document.querySelector(sel);

const alarms = new Map();      // id -> row (active alarms only)
const closedVersion = new Map(); // id -> version at which it left the queue
let selectedId = null;
let filter = localStorage.getItem("arc.filter") || "all";
let category = localStorage.getItem("arc.category") || "";
let autoFeed = localStorage.getItem("arc.autofeed") === "1";
const alerter = new Alerter({ onChange: renderMute });

function upsert(row, { alert = false } = {}) {
  if (!row) return;
  const known = alarms.get(row.id);
  if (known && known.version > row.version) return;
  if (closedVersion.has(row.id) && closedVersion.get(row.id) >= row.version) return;
  if (row.state === "closed") {
    alarms.delete(row.id);
    closedVersion.set(row.id, row.version);
    return;
  }
  row._at = performance.now();
  alarms.set(row.id, row);
  const shown = window.arcConsole?.shown;
  if (!known && shown && !shown.has(row.id)) shown.set(row.id, row._at);
  if (alert && !known) announce(row);
}

function announce(row) {
  alerter.alert(row, document.hidden);
  flashIds.add(row.id);
  setTimeout(() => { flashIds.delete(row.id); render(); }, 4000);
}
const flashIds = new Set();

function onSnapshot(snap, first, startedAt) {
  const ids = new Set(snap.alarms.map((a) => a.id));
  let fixed = 0;
  for (const row of snap.alarms) {
    const known = alarms.get(row.id);
    if (!first && (!known || known.version < row.version)) fixed++;
    upsert(row, { alert: !first && !known });
  }
  // On screen but no longer active in the database (and not changed since the
  // snapshot was asked for): the event that closed it was missed. Drop it.
  for (const [id, row] of alarms) {
    if (!ids.has(id) && row._at < startedAt) {
      alarms.delete(id);
      fixed++;
    }
  }
  if (fixed) console.info(`reconciliation fixed ${fixed} row(s)`);
  window.arcConsole.reconciled += fixed;
  render();
}

const ALERT_KINDS = new Set(["created", "hold_returned", "released", "duress", "escalated"]);

function onEvents(events) {
  for (const e of events) {
    const isNew = e.alarm && !alarms.has(e.alarm_id) && e.alarm.state === "open" && ALERT_KINDS.has(e.kind);
    upsert(e.alarm, { alert: isNew });
    if (e.kind === "duress" && e.alarm) announce(e.alarm);
    if (e.kind.startsWith("storm.")) refreshStorm();
  }
  render();
}

function visibleRows() {
  let rows = [...alarms.values()];
  if (filter === "mine") rows = rows.filter((a) => a.taken_by === config.user);
  if (filter === "unassigned") rows = rows.filter((a) => a.state === "open");
  if (filter === "hold") rows = rows.filter((a) => a.state === "hold");
  if (category) rows = rows.filter((a) => a.category === category);
  rows.sort((a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at) || a.id - b.id);
  return rows;
}

function age(row) {
  return Math.max(0, (Date.now() - Date.parse(row.created_at)) / 1000);
}

function ageClass(row) {
  const [warn, crit] = config.ageing[String(row.priority)] || config.ageing.default;
  const seconds = age(row);
  return seconds >= crit ? "age-crit" : seconds >= warn ? "age-warn" : "age-ok";
}

function fmtAge(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")}`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}`;
}

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function render() {
  const rows = visibleRows();
  if (selectedId && !rows.some((r) => r.id === selectedId)) selectedId = rows[0]?.id ?? null;
  if (!selectedId && rows.length) selectedId = rows[0].id;
  const body = $("#queue-body");
  body.innerHTML = rows.map((a) => {
    const holder = a.taken_by ? (a.taken_by === config.user ? T.me : esc(a.taken_by_name)) : "";
    const hold = a.state === "hold" && a.hold_until ? ` ${T.until} ${new Date(a.hold_until).toLocaleTimeString().slice(0, 5)}` : "";
    return `<tr data-id="${a.id}" class="p${Math.min(a.priority, 6)} ${ageClass(a)} state-${a.state}${a.id === selectedId ? " selected" : ""}${flashIds.has(a.id) ? " flash" : ""}" tabindex="-1">
      <td class="prio">P${a.priority}</td>
      <td class="age" data-age="${a.id}">${fmtAge(age(a))}</td>
      <td>${esc(a.category_label)}</td>
      <td class="title"><a href="${esc(a.url)}">${esc(a.title)}</a>${a.zone ? ` <span class="muted">— ${T.zone} ${esc(a.zone)}</span>` : ""}${a.signal_count > 1 ? ` <span class="badge">×${a.signal_count}</span>` : ""}</td>
      <td>${esc(a.site)} <span class="muted">${esc(a.city)}</span></td>
      <td class="state">${esc(a.state_label)}${hold}</td>
      <td class="holder">${holder}</td>
      <td class="act">${a.taken_by === config.user && a.state === "taken" ? `<a class="button" href="${esc(a.url)}">${T.open}</a>` : `<button type="button" class="take" data-take="${a.id}">${a.taken_by ? T.takeOver : T.take}</button>`}</td>
    </tr>`;
  }).join("") || `<tr><td colspan="8" class="empty">${T.empty}</td></tr>`;
  const all = [...alarms.values()];
  const count = (pred) => all.filter(pred).length;
  $("#count-open").textContent = count((a) => a.state === "open");
  $("#count-taken").textContent = count((a) => a.state === "taken");
  $("#count-hold").textContent = count((a) => a.state === "hold");
  $("#count-mine").textContent = count((a) => a.taken_by === config.user);
  $("#count-total").textContent = all.length;
  document.title = `(${count((a) => a.state === "open")}) ${T.title}`;
  for (const b of document.querySelectorAll("[data-filter]")) b.classList.toggle("active", b.dataset.filter === filter);
  offer();
}

function tickAges() {
  for (const cell of document.querySelectorAll("[data-age]")) {
    const row = alarms.get(Number(cell.dataset.age));
    if (!row) continue;
    cell.textContent = fmtAge(age(row));
    const tr = cell.parentElement;
    tr.classList.remove("age-ok", "age-warn", "age-crit");
    tr.classList.add(ageClass(row));
  }
}

// --- taking -------------------------------------------------------------------
async function take(id, force = false) {
  const url = config.takeUrl.replace("/0/", `/${id}/`);
  const { status, data } = await postForm(url, force ? { force: "1" } : {});
  if (data.ok) {
    upsert(data.alarm);
    location.href = data.url;
    return;
  }
  if (status === 409 && data.holder && data.can_force && !force) {
    const warning = data.abandoned ? T.abandonedWarning : data.on_hold ? T.holdWarning : T.supervisorWarning;
    if (window.confirm(`${data.error}\n${warning.replace("%s", data.holder)}`)) return take(id, true);
    return;
  }
  showError(data.error || T.failed);
}

function showError(text) {
  const box = $("#console-error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// --- auto-feed: the next alarm offered to a free operator ---------------------------
function offer() {
  const bar = $("#offer");
  const busy = [...alarms.values()].some((a) => a.taken_by === config.user && a.state === "taken");
  const next = [...alarms.values()].filter((a) => a.state === "open")
    .sort((a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at))[0];
  if (!autoFeed || busy || !next) { bar.hidden = true; return; }
  bar.hidden = false;
  bar.dataset.id = next.id;
  $("#offer-text").textContent = `P${next.priority} — ${next.title} — ${next.site}`;
}

// --- keyboard -------------------------------------------------------------------------
function move(delta) {
  const rows = visibleRows();
  if (!rows.length) return;
  const index = Math.max(0, Math.min(rows.length - 1, rows.findIndex((r) => r.id === selectedId) + delta));
  selectedId = rows[index].id;
  render();
  document.querySelector(`tr[data-id="${selectedId}"]`)?.scrollIntoView({ block: "nearest" });
}

const FILTER_KEYS = { 1: "all", 2: "mine", 3: "unassigned", 4: "hold" };

function setFilter(value) {
  filter = value;
  localStorage.setItem("arc.filter", filter);
  render();
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key;
  if (key === "j" || key === "ArrowDown") move(1);
  else if (key === "k" || key === "ArrowUp") move(-1);
  else if ((key === "Enter" || key === "o") && selectedId) location.href = alarms.get(selectedId).url;
  else if (key === "t" && selectedId) take(selectedId);
  else if (key === "n") { const id = Number($("#offer").dataset.id) || visibleRows().find((a) => a.state === "open")?.id; if (id) take(id); }
  else if (key === "m") alerter.mute();
  else if (key === "p") location.href = $("#phone-link").href;
  else if (FILTER_KEYS[key]) setFilter(FILTER_KEYS[key]);
  else if (key === "?") $("#shortcuts").toggleAttribute("open");
  else return;
  event.preventDefault();
});

$("#queue-body").addEventListener("click", (event) => {
  const button = event.target.closest("[data-take]");
  if (button) { take(Number(button.dataset.take)); return; }
  const row = event.target.closest("tr[data-id]");
  if (row && !event.target.closest("a")) { selectedId = Number(row.dataset.id); render(); }
});
for (const b of document.querySelectorAll("[data-filter]")) b.addEventListener("click", () => setFilter(b.dataset.filter));
$("#category-filter").value = category;
$("#category-filter").addEventListener("change", (e) => { category = e.target.value; localStorage.setItem("arc.category", category); render(); });
$("#autofeed").checked = autoFeed;
$("#autofeed").addEventListener("change", (e) => { autoFeed = e.target.checked; localStorage.setItem("arc.autofeed", autoFeed ? "1" : "0"); render(); });
$("#offer-take").addEventListener("click", () => take(Number($("#offer").dataset.id)));
$("#mute").addEventListener("click", () => (alerter.muted() ? alerter.unmute() : alerter.mute()));
$("#sound-on").addEventListener("click", () => alerter.enable());
$("#notify-on").addEventListener("click", () => alerter.askNotifications());

function renderMute() {
  const left = alerter.mutedFor();
  $("#mute").textContent = left > 0 ? `${T.muted} ${Math.ceil(left / 1000)} s` : T.mute;
  $("#mute").classList.toggle("active", left > 0);
  $("#sound-on").hidden = alerter.ready();
  $("#notify-on").hidden = !("Notification" in window) || Notification.permission !== "default";
}

// --- feed status banner and centre health -----------------------------------------------
function onStatus(status) {
  const banner = $("#feed-banner");
  document.body.classList.toggle("feed-down", status !== "live");
  banner.hidden = status === "live";
  banner.textContent = status === "unauthorised" ? T.sessionEnded : (feed.httpOk === false ? T.serverDown : T.feedDown);
  $("#feed-state").textContent = status === "live" ? T.live : T.polling;
  $("#feed-state").className = status === "live" ? "feed-live" : "feed-down";
}

async function pollHealth() {
  const banner = $("#health-banner");
  try {
    const response = await fetch(config.health, { credentials: "same-origin", cache: "no-store",
                                                  headers: { "X-ARC-Background": "1" } });
    if (response.status === 404) { banner.hidden = true; return; }
    const data = await response.json();
    if (data.status === "ok") { banner.hidden = true; return; }
    banner.hidden = false;
    banner.className = `banner ${data.status === "down" ? "down" : "degraded"}`;
    banner.textContent = `${data.status === "down" ? T.centreDown : T.centreDegraded} ${(data.problems || []).join(" · ")}`;
  } catch (err) {
    banner.hidden = false;
    banner.className = "banner down";
    banner.textContent = T.serverDown;
  }
}

async function refreshStorm() {
  try {
    const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store",
                                                    headers: { "X-ARC-Background": "1" } });
    const html = await response.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = doc.getElementById("storm-bar");
    if (fresh) $("#storm-bar").replaceWith(fresh);
  } catch (err) { /* next event or reload */ }
}

const feed = new Feed({ wsPath: config.ws, snapshotUrl: config.snapshot, eventsUrl: config.events,
                        onSnapshot, onEvents, onStatus });
window.arcConsole = { feed, alarms, shown: new Map(), reconciled: 0, take };
renderMute();
render();
feed.start();
setInterval(tickAges, 1000);
// Storm rules expire by themselves: drop them from the banner when they do.
setInterval(() => {
  for (const rule of document.querySelectorAll("#storm-bar [data-ends]")) {
    if (Date.parse(rule.dataset.ends) <= Date.now()) rule.remove();
  }
  const bar = document.querySelector("#storm-bar .banner");
  if (bar && !bar.querySelector("[data-ends]")) bar.remove();
}, 5000);
setInterval(renderMute, 1000);
pollHealth();
setInterval(pollHealth, 10000);
