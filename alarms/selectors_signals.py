"""Reads of the signal journal (supervisors' journal page, export_signals)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from alarms.models import Signal
from sites.roles import is_supervisor

PAGE_SIZE = 100


def signals_visible_to(user) -> QuerySet[Signal]:
    """The journal is a centre tool: supervisors and administrators only."""
    if not is_supervisor(user):
        return Signal.objects.none()
    return Signal.objects.all()


def signals_filtered(qs: QuerySet[Signal], *, account: str = "", site: str = "", outcome: str = "",
                     token: str = "", since: dt.datetime | None = None, until: dt.datetime | None = None,
                     receiver: str = "") -> QuerySet[Signal]:
    """Every filter maps onto an indexed column (account, site, outcome, received_at)."""
    if account:
        qs = qs.filter(account__iexact=account.strip().lstrip("#"))
    if site:
        site = site.strip()
        qs = qs.filter(site_id=int(site)) if site.isdigit() else qs.filter(site__code__iexact=site)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if token:
        qs = qs.filter(token__iexact=token.strip())
    if receiver:
        qs = qs.filter(receiver=receiver.strip())
    if since:
        qs = qs.filter(received_at__gte=since)
    if until:
        qs = qs.filter(received_at__lt=until)
    return qs


def signals_page(qs: QuerySet[Signal], *, before: int | None = None, size: int = PAGE_SIZE) -> tuple[list, int | None]:
    """Keyset pagination on the primary key (newest first): no OFFSET, no COUNT,
    so the page costs the same on the millionth row as on the first."""
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.select_related("site").order_by("-id")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].pk if more and rows else None)
