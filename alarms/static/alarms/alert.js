// Sound (Web Audio), mute for a while (never for good) and browser notifications.
const MUTE_MS = 5 * 60 * 1000; // the longest an operator may silence the console

export class Alerter {
  constructor({ onChange } = {}) {
    this.onChange = onChange;
    this.ctx = null;
    const until = Number(localStorage.getItem("arc.muteUntil") || 0);
    // A stored mute never outlives MUTE_MS, even if someone edits localStorage.
    this.muteUntil = Math.min(until, Date.now() + MUTE_MS);
    for (const type of ["keydown", "mousedown", "touchstart"]) {
      window.addEventListener(type, () => this.enable(), { once: true, passive: true });
    }
  }

  enable() {
    try {
      if (!this.ctx) this.ctx = new (window.AudioContext || window.webkitAudioContext)();
      if (this.ctx.state === "suspended") this.ctx.resume();
    } catch (err) { this.ctx = null; }
    this.onChange?.();
  }

  ready() { return !!this.ctx && this.ctx.state === "running"; }
  mutedFor() { return Math.max(0, this.muteUntil - Date.now()); }
  muted() { return this.mutedFor() > 0; }

  mute() {
    this.muteUntil = Date.now() + MUTE_MS;
    localStorage.setItem("arc.muteUntil", String(this.muteUntil));
    this.onChange?.();
  }

  unmute() {
    this.muteUntil = 0;
    localStorage.removeItem("arc.muteUntil");
    this.onChange?.();
  }

  beep(priority) {
    if (this.muted() || !this.ctx) return;
    const ctx = this.ctx;
    const urgent = priority <= 2;
    const tones = urgent ? [880, 660, 880, 660] : [740, 988];
    let t = ctx.currentTime;
    for (const freq of tones) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = urgent ? "square" : "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.2);
      t += 0.22;
    }
  }

  askNotifications() {
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().then(() => this.onChange?.());
    }
  }

  alert(row, hidden) {
    this.beep(row.priority);
    window.arcConsole && (window.arcConsole.alerts = (window.arcConsole.alerts || 0) + 1);
    if (hidden && "Notification" in window && Notification.permission === "granted") {
      try {
        const n = new Notification(`P${row.priority} ${row.title}`, { body: `${row.site} ${row.city}`, tag: `alarm-${row.id}`,
                                                                  requireInteraction: row.priority <= 2 });
        n.onclick = () => { window.focus(); location.href = row.url; };
      } catch (err) { /* notifications unavailable */ }
    }
  }
}
