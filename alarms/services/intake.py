"""Intake: the one way signals become alarms (contracts.md item 1).

Every source writes a pending ``Signal`` (the journal row is also the
outbox): the DC-09 receiver in its own lean transaction, everything else
through ``signal_submit``. The intake worker (``manage.py run_intake``)
claims pending signals per site, in id order, exactly once, and turns each
into its effects in one transaction that also marks it processed
(alarms.services.intake_rules). ``process_now=True`` does the same inline
for callers that need the alarm at once (an operator's manual entry, tests).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alarms import codes
from alarms.models import Alarm, Signal, SignalEvent, Source
from alarms.services import intake_alarms, intake_rules

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "arc_intake"
LOCK_NAMESPACE = 0x41524300  # "ARC\0": pg advisory locks (namespace, site id) for intake
TRANSPORT_OF_SOURCE = {"dc09": Signal.Transport.TCP, "api": Signal.Transport.HTTP, "http": Signal.Transport.HTTP,
                       "video": Signal.Transport.VIDEO, "manual": Signal.Transport.MANUAL,
                       "system": Signal.Transport.INTERNAL, "timer": Signal.Transport.INTERNAL,
                       "internal": Signal.Transport.INTERNAL}
QUALIFIERS = {"new": "1", "restore": "3", "status": "6"}


class IntakeError(ValueError):
    """Bad input to signal_submit; the message says what is wrong."""


def _event_row(position: int, spec: dict, site) -> SignalEvent:
    protocol = spec.get("protocol") or "ARC"
    code = str(spec.get("code") or "").strip().upper()[:8]
    qualifier_name = spec.get("qualifier") or "new"
    if qualifier_name not in QUALIFIERS:
        raise IntakeError(f"qualifier must be one of new, restore, status (got {qualifier_name!r})")
    if code:
        raw_q = QUALIFIERS[qualifier_name] if protocol == "ADM-CID" else ""
        cls = codes.classify(protocol, code, raw_q)
        category, priority, description = cls.category, cls.priority, cls.description
        qualifier = cls.qualifier if protocol == "ADM-CID" or qualifier_name == "new" else qualifier_name
        if spec.get("priority"):
            priority = int(spec["priority"])
        if protocol != "ADM-CID" and qualifier_name == "restore":
            category, priority = "restore", codes.RESTORE_PRIORITY
    else:
        category = spec.get("category") or ""
        if category not in {c for c, _label in Alarm._meta.get_field("category").choices}:
            raise IntakeError(f"unknown category {category!r}")
        try:
            priority = int(spec.get("priority") or 5)
        except (TypeError, ValueError) as exc:
            raise IntakeError("priority must be an integer 1-9") from exc
        description = spec.get("text") or dict(Alarm._meta.get_field("category").choices)[category]
        qualifier = qualifier_name
        raw_q = ""
    if not 1 <= priority <= 9:
        raise IntakeError("priority must be between 1 and 9")
    return SignalEvent(position=position, protocol=protocol[:10], code=code, qualifier=qualifier,
                       raw_qualifier=raw_q, category=category, priority=priority,
                       description=str(description)[:200], zone=str(spec.get("zone") or "")[:8],
                       area=str(spec.get("area") or "")[:8], user_number=str(spec.get("user") or "")[:8],
                       text=str(spec.get("text") or "")[:250], site=site)


def _store_snapshot(snapshot) -> str:
    """Keep a snapshot image under MEDIA_ROOT/signals/…; returns its relative path."""
    if not snapshot:
        return ""
    if isinstance(snapshot, str):
        return snapshot
    data = snapshot if isinstance(snapshot, bytes) else snapshot.read()
    kind = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpg"
    relative = Path("signals") / timezone.now().strftime("%Y/%m/%d") / f"{uuid.uuid4().hex}.{kind}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return str(relative)


def signal_submit(*, source: str, site=None, transmitter=None, events: list[dict], text: str = "",
                  peer: str = "", snapshot=None, raw: bytes = b"", receiver: str = "internal",
                  process_now: bool = False) -> Signal:
    """A signal from a non-DC-09 source (API, video, manual, timers). Pending
    in the caller's transaction; processed by the worker, or at once with
    ``process_now``."""
    if not events:
        raise IntakeError("a signal needs at least one event")
    if site is None and transmitter is not None:
        site = transmitter.site
    if site is None:
        raise IntakeError("a signal needs a site")
    if source not in TRANSPORT_OF_SOURCE:
        raise IntakeError(f"unknown source {source!r}")
    rows = [_event_row(i, spec, site) for i, spec in enumerate(events)]
    snapshot_path = _store_snapshot(snapshot)
    with transaction.atomic():
        signal = Signal.objects.create(
            received_at=timezone.now(), receiver=receiver[:32], transport=TRANSPORT_OF_SOURCE[source],
            peer=peer[:64], raw=raw, token=(rows[0].protocol if rows else "")[:16],
            account=transmitter.account if transmitter else "", transmitter=transmitter, site=site,
            outcome=Signal.Outcome.ACCEPTED, reply="", payload=text[:4000],
            xdata=[["snapshot", snapshot_path]] if snapshot_path else None,
            process_state=Signal.ProcessState.PENDING)
        for row in rows:
            row.signal = signal
        SignalEvent.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(signal.site_id or 0)])
    if process_now:
        process_site(site_id=signal.site_id, up_to=signal.pk, blocking=True)
        signal.refresh_from_db()
    return signal


def alarm_open_manual(*, site, operator, category: str, priority: int, title: str, description: str = "") -> Alarm:
    """An operator opens an alarm for a site after a phone call (journaled as a manual signal)."""
    title = (title or "").strip()
    if not title:
        raise IntakeError(_("Le libellé est obligatoire."))
    if category not in {c for c, _label in Alarm._meta.get_field("category").choices}:
        raise IntakeError(_("Catégorie inconnue."))
    if not 1 <= int(priority) <= 9:
        raise IntakeError(_("La priorité va de 1 à 9."))
    now = timezone.now()
    with transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, site.pk])
        signal = Signal.objects.create(
            received_at=now, receiver="manual", transport=Signal.Transport.MANUAL,
            peer=operator.get_username()[:64], site=site, outcome=Signal.Outcome.ACCEPTED,
            payload=f"{title}\n{description}"[:4000], process_state=Signal.ProcessState.DONE, processed_at=now)
        entries: list = []
        alarm = intake_alarms.create_alarm(
            site=site, source=Source.MANUAL, kind=Alarm.Kind.MANUAL, category=category,
            priority=int(priority), code="", title=title, description=description, at=now,
            actor=operator, entries=entries)
        SignalEvent.objects.create(signal=signal, protocol="ARC", code="", category=category,
                                   priority=int(priority), description=title[:200], site=site, alarm=alarm,
                                   disposition=SignalEvent.Disposition.ALARM, text=description[:250])
        from logbook.services import entries_append
        entries_append(entries)
    return alarm


def process_signal(signal_id: int) -> bool:
    """Process one pending signal in its own transaction. True when processed
    (or already done), False when it failed and was marked failed."""
    try:
        with transaction.atomic():
            signal = (Signal.objects.select_for_update(of=("self",)).select_related("site__customer", "transmitter")
                      .filter(pk=signal_id, process_state=Signal.ProcessState.PENDING).first())
            if signal is None:
                return True
            now = timezone.now()
            intake_rules.process(signal, now)
            Signal.objects.filter(pk=signal.pk).update(
                process_state=Signal.ProcessState.DONE, processed_at=now, process_error="")
        return True
    except (OperationalError, InterfaceError):
        raise  # the database is away: leave it pending, the worker retries
    except Exception as exc:  # a poisoned signal is marked failed and never blocks the rest
        logger.exception("intake: signal %s failed", signal_id)
        Signal.objects.filter(pk=signal_id, process_state=Signal.ProcessState.PENDING).update(
            process_state=Signal.ProcessState.FAILED, process_error=f"{type(exc).__name__}: {exc}"[:2000],
            processed_at=timezone.now())
        return False


# A backlog is drained in transactions of up to this many signals: one lock of
# the logbook's chain head and one WAL flush per batch instead of one per signal
# (the chain head is what saturates first under load, docs/performance.md).
BATCH_SIZE = 50


def process_batch(signal_ids: list[int]) -> None:
    """Process signals of one site, in order, in one transaction. Each signal
    runs in its own savepoint: a poisoned one is rolled back alone (with its
    logbook entries) and marked failed; the others commit."""
    if len(signal_ids) == 1:
        process_signal(signal_ids[0])
        return
    from logbook.services import deferred_appends

    failed: list[tuple[int, Exception]] = []
    with transaction.atomic(), deferred_appends() as collector:
        now = timezone.now()
        for signal_id in signal_ids:
            mark = collector.mark()
            try:
                with transaction.atomic():
                    signal = (Signal.objects.select_for_update(of=("self",))
                              .select_related("site__customer", "transmitter")
                              .filter(pk=signal_id, process_state=Signal.ProcessState.PENDING).first())
                    if signal is None:
                        continue
                    intake_rules.process(signal, now)
                    Signal.objects.filter(pk=signal.pk).update(
                        process_state=Signal.ProcessState.DONE, processed_at=now, process_error="")
            except (OperationalError, InterfaceError):
                raise  # the database is away: the whole batch stays pending
            except Exception as exc:  # a poisoned signal never blocks the rest
                collector.rollback_to(mark)
                logger.exception("intake: signal %s failed", signal_id)
                failed.append((signal_id, exc))
        for signal_id, exc in failed:
            Signal.objects.filter(pk=signal_id, process_state=Signal.ProcessState.PENDING).update(
                process_state=Signal.ProcessState.FAILED, process_error=f"{type(exc).__name__}: {exc}"[:2000],
                processed_at=now)


def process_site(*, site_id: int | None, up_to: int | None = None, blocking: bool = False,
                 limit: int = 500) -> int:
    """Process the site's pending signals in id order, holding the site's
    advisory lock so that no other worker interleaves. Returns how many were
    processed, or -1 when another worker holds the site."""
    key = site_id or 0
    with connection.cursor() as cursor:
        if blocking:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
            if not cursor.fetchone()[0]:
                return -1
    try:
        pending = Signal.objects.filter(process_state=Signal.ProcessState.PENDING)
        pending = pending.filter(site_id=site_id) if site_id else pending.filter(site__isnull=True)
        if up_to is not None:
            pending = pending.filter(pk__lte=up_to)
        ids = list(pending.order_by("id").values_list("id", flat=True)[:limit])
        for start in range(0, len(ids), BATCH_SIZE):
            process_batch(ids[start:start + BATCH_SIZE])
        return len(ids)
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])
        except DatabaseError:
            logger.warning("intake: could not release the lock of site %s", key, exc_info=True)


def pending_sites(limit: int = 100) -> list[int | None]:
    """Sites with pending signals, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT site_id FROM alarms_signal WHERE process_state = 'pending' "
            "GROUP BY site_id ORDER BY min(id) LIMIT %s", [limit])
        return [row[0] for row in cursor.fetchall()]


def process_pending(*, max_rounds: int = 50) -> int:
    """Process what is pending now (the worker's loop body). Returns the number processed."""
    total = 0
    for _round in range(max_rounds):
        sites = pending_sites()
        if not sites:
            break
        done = 0
        for site_id in sites:
            n = process_site(site_id=site_id)
            done += max(n, 0)
        total += done
        if not done:
            break
    return total


def purge_dedup(*, older_than: dt.timedelta) -> int:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM alarms_signaldedup WHERE seen_at < %s", [timezone.now() - older_than])
        return cursor.rowcount
