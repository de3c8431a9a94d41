"""Site faults: a trouble opens one, its restore closes it (intake only)."""

from __future__ import annotations

from django.db.models import F

from alarms.models import Fault


def fault_touch(*, site, transmitter, kind: str, zone: str, code: str, at) -> tuple[Fault, bool]:
    """Open the fault of this kind (and zone) or refresh the open one. Returns (fault, opened)."""
    zone = zone.lstrip("0") if kind == Fault.Kind.TAMPER else ""
    fault = (Fault.objects.select_for_update()
             .filter(site=site, kind=kind, zone=zone, closed_at__isnull=True).first())
    if fault is not None:
        Fault.objects.filter(pk=fault.pk).update(last_signal_at=at, signal_count=F("signal_count") + 1)
        return fault, False
    fault = Fault.objects.create(site=site, transmitter=transmitter, kind=kind, zone=zone, code=code,
                                 opened_at=at, last_signal_at=at)
    return fault, True


def fault_close(*, site, kind: str, zone: str, at) -> Fault | None:
    zone = zone.lstrip("0") if kind == Fault.Kind.TAMPER else ""
    fault = (Fault.objects.select_for_update()
             .filter(site=site, kind=kind, zone=zone, closed_at__isnull=True).first())
    if fault is None:
        return None
    fault.closed_at = at
    fault.last_signal_at = at
    fault.save(update_fields=["closed_at", "last_signal_at"])
    return fault
