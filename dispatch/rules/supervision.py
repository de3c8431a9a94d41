"""Supervision deadlines: line supervision (``Transmitter.line_due_at``),
periodic tests (``Transmitter.test_due_at``), the end of a mise en test
(``Site.test_until``) and faults left open (``Fault.opened_at``).

Line and test alarms are signals submitted to intake (SIA YS / YK / XX,
PROTOCOLS.md §5.2), so they go through the same classification, storm rules
and site state (on test, out of service) as a panel's own.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Min
from django.utils.translation import gettext as _

from dispatch import system_signals
from dispatch.engine import Rule, claim, register
from sites.models import Site, Transmitter
from sites.services import site_end_test


def _line_candidates(now, excluded, limit):
    return list(Transmitter.objects.filter(line_due_at__lte=now, line_fault=False, enabled=True)
                .exclude(pk__in=excluded).order_by("line_due_at").values_list("pk", flat=True)[:limit])


def _line_fire(pk, now) -> bool:
    transmitter = claim(Transmitter, pk, line_due_at__lte=now, line_fault=False, enabled=True)
    if transmitter is None:
        return False
    site = Site.objects.get(pk=transmitter.site_id)
    silent = now - (transmitter.last_seen_at or transmitter.line_due_at)
    text = _("Aucun signal du transmetteur #%(account)s depuis %(minutes)s min (délai de supervision dépassé)") % {
        "account": transmitter.account, "minutes": int(silent.total_seconds() // 60)}
    system_signals.submit(site=site, transmitter=transmitter, code="YS", text=text)
    Transmitter.objects.filter(pk=pk).update(line_fault=True)
    return True


def _line_next():
    return Transmitter.objects.filter(line_fault=False, enabled=True).aggregate(m=Min("line_due_at"))["m"]


def _restore_candidates(now, excluded, limit):
    # transmitter_seen() moved line_due_at into the future: signals came back.
    return list(Transmitter.objects.filter(line_fault=True, line_due_at__gt=now)
                .exclude(pk__in=excluded).values_list("pk", flat=True)[:limit])


def _restore_fire(pk, now) -> bool:
    transmitter = claim(Transmitter, pk, line_fault=True, line_due_at__gt=now)
    if transmitter is None:
        return False
    site = Site.objects.get(pk=transmitter.site_id)
    system_signals.submit(site=site, transmitter=transmitter, code="YK", qualifier="restore",
                          text=_("Transmission rétablie (transmetteur #%(account)s)") % {
                              "account": transmitter.account})
    Transmitter.objects.filter(pk=pk).update(line_fault=False)
    return True


def _test_candidates(now, excluded, limit):
    return list(Transmitter.objects.filter(test_due_at__lte=now, enabled=True)
                .exclude(pk__in=excluded).order_by("test_due_at").values_list("pk", flat=True)[:limit])


def _test_fire(pk, now) -> bool:
    transmitter = claim(Transmitter, pk, test_due_at__lte=now, enabled=True)
    if transmitter is None:
        return False
    site = Site.objects.get(pk=transmitter.site_id)
    interval = dt.timedelta(seconds=transmitter.test_interval_seconds or 86400)
    system_signals.submit(site=site, transmitter=transmitter, code="XX",
                          text=_("Test cyclique du transmetteur #%(account)s non reçu (attendu le %(due)s)") % {
                              "account": transmitter.account,
                              "due": transmitter.test_due_at.astimezone(site.tz).strftime("%d/%m/%Y %H:%M")})
    # Still missing one period later: raise it again (intake attaches it to the open alarm).
    next_due = transmitter.test_due_at + interval
    while next_due <= now:
        next_due += interval
    Transmitter.objects.filter(pk=pk).update(test_due_at=next_due)
    return True


def _test_next():
    return Transmitter.objects.filter(enabled=True).aggregate(m=Min("test_due_at"))["m"]


def _test_end_candidates(now, excluded, limit):
    return list(Site.objects.filter(test_until__lte=now, monitoring_state=Site.Monitoring.ON_TEST)
                .exclude(pk__in=excluded).order_by("test_until").values_list("pk", flat=True)[:limit])


def _test_end_fire(pk, now) -> bool:
    site = claim(Site, pk, test_until__lte=now, monitoring_state=Site.Monitoring.ON_TEST)
    if site is None:
        return False
    return site_end_test(site=site, expired=True) is not None


def _test_end_next():
    return Site.objects.filter(monitoring_state=Site.Monitoring.ON_TEST).aggregate(m=Min("test_until"))["m"]


def fault_notice_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.FAULT_NOTICE_MINUTES)


def _fault_candidates(now, excluded, limit):
    from alarms.models.fault import Fault
    from dispatch.models import CallOut

    return list(Fault.objects.filter(closed_at__isnull=True, opened_at__lte=now - fault_notice_after(),
                                     site__installer__isnull=False)
                .exclude(pk__in=excluded)
                .exclude(pk__in=CallOut.objects.filter(fault_id__isnull=False).values("fault_id"))
                .values_list("pk", flat=True)[:limit])


def _fault_fire(pk, now) -> bool:
    from alarms.models.fault import Fault
    from dispatch.services.callouts import callout_fault_notice

    fault = claim(Fault, pk, closed_at__isnull=True)
    if fault is None:
        return False
    return callout_fault_notice(fault=fault) is not None


register(Rule("line_fault", _line_candidates, _line_fire, _line_next))
register(Rule("line_restore", _restore_candidates, _restore_fire, every=1.0))
register(Rule("test_missing", _test_candidates, _test_fire, _test_next))
register(Rule("test_end", _test_end_candidates, _test_end_fire, _test_end_next))
register(Rule("fault_notice", _fault_candidates, _fault_fire, every=15.0))
