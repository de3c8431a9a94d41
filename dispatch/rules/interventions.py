"""Intervention deadline: ``Intervention.eta_at`` (guard not on site in time)."""

from __future__ import annotations

from django.db.models import Min

from dispatch.engine import Rule, claim, register
from dispatch.models import Intervention
from dispatch.services.interventions import intervention_eta_overrun

LATE_STATES = (Intervention.State.REQUESTED, Intervention.State.ACCEPTED, Intervention.State.EN_ROUTE)


def _candidates(now, excluded, limit):
    return list(Intervention.objects.filter(eta_at__lte=now, eta_overrun_at__isnull=True, state__in=LATE_STATES)
                .exclude(pk__in=excluded).order_by("eta_at").values_list("pk", flat=True)[:limit])


def _fire(pk, now) -> bool:
    if claim(Intervention, pk, eta_at__lte=now, eta_overrun_at__isnull=True, state__in=LATE_STATES) is None:
        return False
    return intervention_eta_overrun(intervention_id=pk, now=now)


def _next():
    return (Intervention.objects.filter(eta_overrun_at__isnull=True, state__in=LATE_STATES)
            .aggregate(m=Min("eta_at"))["m"])


register(Rule("intervention_eta", _candidates, _fire, _next))
