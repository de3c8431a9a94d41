"""Turn one pending signal into its effects (called by alarms.services.intake
inside the signal's transaction, with the site's advisory lock held).

Order per event: test report → supervision; open/close → armed state;
site on test / out of service → logged only; status → attached or logged;
restore → fault closed, restore recorded on its alarm; trouble → fault;
storm rule → logged; runaway → one runaway alarm; else grouped into the
site's open alarm or a new alarm (with the category's restore delay).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q
from django.utils.translation import gettext as _

from alarms import codes
from alarms.models import Alarm, CategoryIntakeSetting, Signal, SignalEvent, StormRule
from alarms.services import intake_alarms as ia
from alarms.services.faults import fault_close, fault_touch
from alarms.services.runaway import bucket_take
from alarms.storm import matching_rule
from logbook.models import Category as LogCategory
from logbook.services import Entry
from sites.models import PriorityOverride, Site, Zone
from sites.services import site_set_armed, transmitter_seen

D = SignalEvent.Disposition
SOURCE_OF_TRANSPORT = {"tcp": "dc09", "udp": "dc09", "http": "api", "video": "video", "manual": "manual",
                       "internal": "system"}
INFORMATIONAL_PRIORITY = 8
LINE_FAULT_CODES = {("SIA-DCS", "YS"), ("SIA-DCS", "YC"), ("ADM-CID", "350"), ("ADM-CID", "354")}


def _num(value: str) -> str:
    return (value or "").lstrip("0") or ("0" if value else "")


class Context:
    """What one signal's processing needs, read once."""

    def __init__(self, signal: Signal, at: dt.datetime):
        self.signal = signal
        self.at = at
        self.site: Site | None = signal.site
        self.transmitter = signal.transmitter
        self.source = SOURCE_OF_TRANSPORT.get(signal.transport, "system")
        self.entries: list[Entry] = []
        self._zones = None
        self._overrides = None
        self._open_alarm = None

    def zone(self, number: str) -> Zone | None:
        if self.site is None or not number:
            return None
        if self._zones is None:
            self._zones = {_num(z.number): z for z in Zone.objects.filter(site=self.site)}
        return self._zones.get(_num(number))

    def priority(self, *, category: str, code: str, default: int, zone: Zone | None) -> int:
        """PriorityOverride: zone > site > customer; a code match beats a category match."""
        if self.site is None:
            return default
        if self._overrides is None:
            self._overrides = list(PriorityOverride.objects.filter(
                Q(zone__site=self.site) | Q(site=self.site) | Q(customer_id=self.site.customer_id)))
        best = None
        for o in self._overrides:
            if o.code and o.code.upper() != code.upper():
                continue
            if not o.code and o.category != category:
                continue
            if o.zone_id:
                if zone is None or o.zone_id != zone.pk:
                    continue
                level = 0
            elif o.site_id:
                if o.site_id != self.site.pk:
                    continue
                level = 1
            else:
                level = 2
            rank = (level, 0 if o.code else 1)
            if best is None or rank < best[0]:
                best = (rank, o.priority)
        return best[1] if best else default

    def open_alarm(self) -> Alarm | None:
        """The site's active alarm that new signals group into."""
        if self._open_alarm is None and self.site is not None:
            self._open_alarm = (Alarm.objects.select_for_update(of=("self",))
                                .select_related("site", "customer", "zone")
                                .filter(site=self.site, state__in=Alarm.ACTIVE_STATES)
                                .exclude(kind__in=[Alarm.Kind.UNKNOWN_TRANSMITTER, Alarm.Kind.RUNAWAY])
                                .order_by("created_at").first())
        return self._open_alarm

    def log(self, action: str, message: str, new: dict | None = None, alarm=None):
        self.entries.append(Entry(action=action, category=LogCategory.SIGNAL, message=message, new=new,
                                  site=self.site, customer=self.site.customer if self.site else None,
                                  alarm=alarm))


def _title(event: SignalEvent, zone: Zone | None) -> str:
    title = event.description or event.code or event.category
    if zone is not None:
        title += f" — zone {zone.number} {zone.label}"
    elif event.zone:
        title += f" — zone {event.zone}"
    if event.text and event.text not in title:  # video events carry their description as text too
        title += f" ({event.text})"
    return title


def process(signal: Signal, at: dt.datetime) -> None:
    ctx = Context(signal, at)
    if signal.outcome == Signal.Outcome.REJECTED:
        _transmission_notice(ctx)
        return
    events = list(signal.events.all().order_by("position"))
    if signal.site is None and signal.account and ctx.source == "dc09":
        _unknown_transmitter(ctx, events)
        return
    if ctx.transmitter is not None and events and any(e.priority > 2 for e in events):
        if not bucket_take(transmitter=ctx.transmitter, at=at):
            if _runaway(ctx, events):
                return
    if "clock_skew" in (signal.flags or []) and signal.clock_skew_seconds is not None:
        _clock_notice(ctx)
    for event in events:
        _event(ctx, event)
    from logbook.services import entries_append
    entries_append(ctx.entries)


def _clock_notice(ctx: Context) -> None:
    """A plain frame far off our clock is accepted (PROTOCOLS.md §2.9); the centre is told
    once a day per site, with a hint when the skew is whole hours (local time sent as UTC)."""
    from logbook.models import LogEntry
    from logbook.services import deferred_pending
    if ctx.site is None or any(e.action == "transmitter.clock_skew" and getattr(e.site, "pk", None) == ctx.site.pk
                               for e in deferred_pending()) or LogEntry.objects.filter(
            action="transmitter.clock_skew", site_id=ctx.site.pk, created_at__gte=ctx.at - dt.timedelta(days=1)
    ).exists():
        return
    skew = ctx.signal.clock_skew_seconds
    hours = round(skew / 3600)
    hint = ""
    if hours and abs(skew - hours * 3600) < 120:
        hint = " " + _("(décalage d'heures entières : l'heure locale est probablement envoyée au lieu de l'UTC)")
    ctx.log("transmitter.clock_skew", _("Horloge du transmetteur #%(acct)s décalée de %(s)d s.%(hint)s") % {
        "acct": ctx.signal.account, "s": round(skew), "hint": hint}, new={"skew_seconds": skew})


def _event(ctx: Context, event: SignalEvent) -> None:
    site, at = ctx.site, ctx.at
    zone = ctx.zone(event.zone)
    event.site = site
    event.zone_ref = zone
    event.priority = ctx.priority(category=event.category, code=event.code, default=event.priority, zone=zone)
    closing = event.raw_qualifier == "3" or event.code.upper() in codes.SIA_CLOSING
    if codes.is_test(event.protocol, event.code) or (event.category == "test" and event.priority >= 8):
        if ctx.transmitter is not None:
            transmitter_seen(transmitter_ids=[ctx.transmitter.pk], at=at, test=True)
        return _done(event, D.TEST)
    if event.category == "openclose" and site is not None and event.qualifier == SignalEvent.Qualifier.NEW:
        partial = event.code.upper() in codes.SIA_PARTIAL | codes.CID_PARTIAL
        state = (Site.Armed.PARTIAL if partial else Site.Armed.ARMED) if closing else Site.Armed.DISARMED
        if site_set_armed(site=site, armed_state=state, at=at, by=event.user_number):
            ctx.log("site.armed_state", _("%(what)s par l'utilisateur %(user)s (secteur %(area)s)") % {
                "what": _("Mise en service") if closing else _("Mise hors service"),
                "user": event.user_number or "-", "area": event.area or "-"},
                new={"armed_state": state, "user": event.user_number, "area": event.area, "code": event.code})
        return _done(event, D.OPENCLOSE)
    if site is None:
        return _done(event, D.LOGGED)
    if event.old:
        ctx.log("signal.auto_logged", _("Événement ancien (journal de la centrale) : %(t)s") % {
            "t": _title(event, zone)}, new={"reason": "old_event", "code": event.code})
        return _done(event, D.LOGGED)
    if event.qualifier == SignalEvent.Qualifier.RESTORE:
        return _restore(ctx, event, zone)
    if event.qualifier == SignalEvent.Qualifier.STATUS:
        alarm = ctx.open_alarm()
        return _done(event, D.ATTACHED if alarm else D.LOGGED, alarm)
    if event.priority >= INFORMATIONAL_PRIORITY:
        # Priorities 8-9 are informational (PROTOCOLS.md §8): journaled, never an operator alarm
        # (an override to a lower number makes them alarms).
        alarm = ctx.open_alarm()
        return _done(event, D.ATTACHED if alarm else D.LOGGED, alarm)
    gate = _site_gate(site, at)
    if gate:
        ctx.log("signal.auto_logged", _("%(t)s — consigné sans alarme : %(why)s") % {
            "t": _title(event, zone), "why": dict(D.choices)[gate]},
            new={"reason": gate, "code": event.code, "priority": event.priority})
        return _done(event, gate)
    kind = codes.fault_kind(event.protocol, event.code)
    if kind:
        fault, opened = fault_touch(site=site, transmitter=ctx.transmitter, kind=kind, zone=event.zone,
                                    code=event.code, at=at)
        if not opened and fault.alarm_id:
            return _done(event, D.FAULT, fault.alarm)
    rule = matching_rule(site=site, category=event.category, priority=event.priority, at=at)
    if rule is not None:
        StormRule.objects.filter(pk=rule.pk).update(matched_count=F("matched_count") + 1)
        ctx.log("signal.auto_logged", _("%(t)s — consigné (mode tempête : %(rule)s)") % {
            "t": _title(event, zone), "rule": rule}, new={"reason": "storm", "rule": rule.pk, "code": event.code})
        return _done(event, D.STORM)
    alarm = _raise(ctx, event, zone)
    if kind:
        from alarms.models import Fault
        Fault.objects.filter(site=site, kind=kind, closed_at__isnull=True, alarm__isnull=True).update(
            alarm=alarm, notified_at=at)


def _site_gate(site: Site, at) -> str:
    if site.monitoring_state == Site.Monitoring.OUT_OF_SERVICE:
        return D.OUT_OF_SERVICE
    if site.is_on_test(at):
        return D.ON_TEST
    return ""


def _raise(ctx: Context, event: SignalEvent, zone: Zone | None) -> Alarm:
    title = _title(event, zone)
    alarm = ctx.open_alarm()
    if alarm is not None:
        ia.attach_signal(alarm=alarm, category=event.category, priority=event.priority, code=event.code,
                         title=title, at=ctx.at, signal_id=ctx.signal.pk, entries=ctx.entries)
        _done(event, D.ATTACHED, alarm)
        return alarm
    setting = CategoryIntakeSetting.objects.filter(category=event.category).first()
    delay = setting.restore_delay_seconds if setting else 0
    hold_until = ctx.at + dt.timedelta(seconds=delay) if delay else None
    if (event.protocol, event.code.upper()) in LINE_FAULT_CODES:
        kind = Alarm.Kind.LINE_FAULT
    elif event.code.upper() == "XX":
        kind = Alarm.Kind.TEST_MISSING
    elif ctx.source == "video":
        kind = Alarm.Kind.CAMERA
    else:
        kind = Alarm.Kind.EVENT
    alarm = ia.create_alarm(
        site=ctx.site, transmitter=ctx.transmitter, account=ctx.signal.account, source=ctx.source, kind=kind,
        category=event.category, priority=event.priority, code=event.code, title=title,
        description=event.text, zone=zone, at=ctx.at, entries=ctx.entries,
        state=Alarm.State.HOLD if hold_until else Alarm.State.OPEN, hold_until=hold_until,
        restore_pending=bool(hold_until))
    ctx._open_alarm = alarm
    _done(event, D.ALARM, alarm)
    return alarm


def _restore(ctx: Context, event: SignalEvent, zone: Zone | None) -> None:
    site, at = ctx.site, ctx.at
    kind = codes.fault_kind(event.protocol, event.code)
    if kind:
        fault = fault_close(site=site, kind=kind, zone=event.zone, at=at)
        if fault is not None:
            ctx.log("fault.closed", _("Défaut %(kind)s rétabli") % {"kind": fault.get_kind_display()},
                    new={"kind": kind, "code": event.code})
    active = (Alarm.objects.select_for_update()
              .filter(site=site, state__in=Alarm.ACTIVE_STATES, restored_at__isnull=True)
              .exclude(kind__in=[Alarm.Kind.UNKNOWN_TRANSMITTER, Alarm.Kind.RUNAWAY]).order_by("-created_at"))
    # The condition this restore ends: same code (Contact ID Q3), its SIA pair (BH → BA), or the
    # codes of the same fault kind (YK → YS…); never "whatever alarm is open" without a match.
    code = event.code.upper()
    targets = {code} if event.protocol == "ADM-CID" else {codes.SIA_RESTORE_OF.get(code, "")} - {""}
    if kind:
        targets |= {c for (p, c), k in codes.FAULT_KIND.items() if k == kind and p == event.protocol}
    candidates = list(SignalEvent.objects.filter(alarm__in=list(active.values_list("pk", flat=True)))
                      .values_list("alarm_id", "zone", "code"))
    same_zone = {a for a, z, _c in candidates if event.zone and _num(z) == _num(event.zone)}
    same_code = {a for a, _z, c in candidates if c.upper() in targets}
    if event.zone:
        chosen = (same_zone & same_code) or same_zone
    else:
        chosen = same_code
    alarm = active.filter(pk__in=chosen).first() if chosen else None
    if alarm is None:
        ctx.log("signal.auto_logged", _("Rétablissement sans alarme en cours : %(t)s") % {
            "t": _title(event, zone)}, new={"reason": "restore_without_alarm", "code": event.code})
        return _done(event, D.RESTORE)
    ia.record_restore(alarm=alarm, code=event.code, zone=event.zone, at=at, signal_id=ctx.signal.pk,
                      entries=ctx.entries)
    _done(event, D.RESTORE, alarm)


def _unknown_transmitter(ctx: Context, events: list[SignalEvent]) -> None:
    signal = ctx.signal
    alarm = (Alarm.objects.select_for_update()
             .filter(kind=Alarm.Kind.UNKNOWN_TRANSMITTER, account=signal.account, state__in=Alarm.ACTIVE_STATES)
             .first())
    codes_text = ", ".join(f"{e.code}{(' ' + e.zone) if e.zone else ''}" for e in events) or signal.token
    title = _("Transmetteur inconnu #%(acct)s (%(codes)s)") % {"acct": signal.account, "codes": codes_text}
    if alarm is not None:
        ia.attach_signal(alarm=alarm, category="other", priority=5, code="XA", title=title, at=ctx.at,
                         signal_id=signal.pk, entries=ctx.entries)
    else:
        alarm = ia.create_alarm(site=None, account=signal.account, source="dc09",
                                kind=Alarm.Kind.UNKNOWN_TRANSMITTER, category="other", priority=5, code="XA",
                                title=title, description=_("Reçu de %(peer)s sur %(rx)s") % {
                                    "peer": signal.peer, "rx": signal.receiver},
                                at=ctx.at, entries=ctx.entries)
    for event in events:
        _done(event, D.ATTACHED, alarm)
    from logbook.services import entries_append
    entries_append(ctx.entries)


def _transmission_notice(ctx: Context) -> None:
    """A rejected frame operators must know about (plain frame to an encrypted account,
    undecryptable frame): one "sécurité transmission" alarm per transmitter while it is open."""
    signal = ctx.signal
    if ctx.transmitter is None or ctx.site is None:
        return
    alarm = (Alarm.objects.select_for_update()
             .filter(kind=Alarm.Kind.SECURITY, transmitter=ctx.transmitter, state__in=Alarm.ACTIVE_STATES).first())
    if alarm is not None:
        Alarm.objects.filter(pk=alarm.pk).update(signal_count=F("signal_count") + 1, last_signal_at=ctx.at)
        return
    if "security" in signal.flags:
        what = _("trame en clair reçue sur un compte chiffré (refusée)")
    else:
        what = _("trame chiffrée indéchiffrable (refusée) : %(reason)s") % {"reason": signal.reason}
    ia.create_alarm(site=ctx.site, transmitter=ctx.transmitter, account=signal.account, source="system",
                    kind=Alarm.Kind.SECURITY, category="tamper", priority=4, code="",
                    title=_("Sécurité transmission #%(acct)s : %(what)s") % {"acct": signal.account, "what": what},
                    description=_("Reçu de %(peer)s sur %(rx)s") % {"peer": signal.peer, "rx": signal.receiver},
                    at=ctx.at, entries=ctx.entries)
    from logbook.services import entries_append
    entries_append(ctx.entries)


def _runaway(ctx: Context, events: list[SignalEvent]) -> bool:
    """Over the bucket: journaled, one runaway alarm. Life-safety events (P1-2) still go through."""
    urgent = [e for e in events if e.priority <= 2]
    if urgent:
        return False
    alarm = (Alarm.objects.select_for_update()
             .filter(kind=Alarm.Kind.RUNAWAY, transmitter=ctx.transmitter, state__in=Alarm.ACTIVE_STATES).first())
    if alarm is None:
        alarm = ia.create_alarm(
            site=ctx.site, transmitter=ctx.transmitter, account=ctx.signal.account, source="system",
            kind=Alarm.Kind.RUNAWAY, category="trouble", priority=4, code="",
            title=_("Transmetteur emballé #%(acct)s : plus de %(n)s signaux/min") % {
                "acct": ctx.signal.account, "n": ctx.transmitter.signals_per_minute},
            at=ctx.at, entries=ctx.entries)
    else:
        Alarm.objects.filter(pk=alarm.pk).update(signal_count=F("signal_count") + 1, last_signal_at=ctx.at)
    for event in events:
        _done(event, D.RUNAWAY, alarm)
    from logbook.services import entries_append
    entries_append(ctx.entries)
    return True


def _done(event: SignalEvent, disposition: str, alarm: Alarm | None = None) -> None:
    event.disposition = disposition
    event.alarm = alarm
    event.save(update_fields=["disposition", "alarm", "site", "zone_ref", "priority"])
