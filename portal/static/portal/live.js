// Live timeline of one alarm on the client portal.
// The websocket is only a doorbell ("feed event N happened"); rows are read
// from /portal/feed/?after=N (PostgreSQL is the truth). We resync on connect,
// on every doorbell, and every 15 s while the socket is down (polling).
const list = document.getElementById("timeline");
const state = document.getElementById("live-state");
if (list) {
  const alarmId = Number(list.dataset.alarm);
  const feedUrl = list.dataset.feedUrl;
  let lastId = Number(list.dataset.lastId || 0);
  let socket = null;
  let fetching = false;
  let again = false;
  let retry = 1000;

  const show = (live) => {
    state.dataset.state = live ? "live" : "down";
    state.textContent = live ? list.dataset.live : list.dataset.down;
  };

  const render = (e) => {
    if (e.alarm !== alarmId || list.querySelector(`li[data-id="${e.id}"]`)) return;
    const li = document.createElement("li");
    li.dataset.id = e.id;
    const time = document.createElement("time");
    time.dateTime = e.iso;
    time.textContent = e.at;
    const label = document.createElement("strong");
    label.textContent = e.label;
    li.append(time, " ", label);
    if (e.detail) li.append(` — ${e.detail}`);
    li.classList.add("new");
    list.append(li);
  };

  async function resync() {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      do {
        again = false;
        const response = await fetch(`${feedUrl}?after=${lastId}`, {headers: {"X-ARC-Background": "1"}});
        if (!response.ok) break;
        const body = await response.json();
        body.events.forEach(render);
        if (body.last_id > lastId) { lastId = body.last_id; again = body.events.length > 0 || again; }
      } while (again);
    } catch (err) {
      // network down: the next poll tries again
    } finally {
      fetching = false;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/portal/`);
    socket.onopen = () => { retry = 1000; show(true); resync(); };
    socket.onmessage = (msg) => {
      const data = JSON.parse(msg.data);
      if (data.type === "feed.event") resync();
    };
    socket.onclose = (ev) => {
      show(false);
      socket = null;
      if (ev.code === 4001) { location.reload(); return; }  // session closed by the centre
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  connect();
  setInterval(() => { if (!socket || socket.readyState !== WebSocket.OPEN) resync(); }, 15000);
  setInterval(resync, 60000);  // belt and braces: a lost doorbell is caught within a minute
}
