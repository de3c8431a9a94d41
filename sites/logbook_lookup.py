"""The logbook's customer/site picker, filled from the subscriber database
(the logbook imports nothing of ours: sites registers these in ready())."""

from __future__ import annotations

from django.db.models import Q


def search(user, query: str, limit: int):
    from logbook.lookups import Ref
    from sites.selectors import customers_visible_to, sites_visible_to

    words = query.split()
    site_q = Q()
    customer_q = Q()
    for word in words:
        site_q &= (Q(code__istartswith=word) | Q(name__icontains=word) | Q(city__istartswith=word)
                   | Q(customer__code__istartswith=word) | Q(customer__name__icontains=word))
        customer_q &= Q(code__istartswith=word) | Q(name__icontains=word)
    refs = []
    # An exact code first: operators type codes they read on the screen.
    for customer in customers_visible_to(user).filter(customer_q).order_by("code")[:3]:
        refs.append(Ref("customer", customer.pk, str(customer)))
    sites = sites_visible_to(user).filter(site_q).select_related("customer").order_by("code")[:limit]
    refs = [Ref("site", s.pk, str(s), s.customer_id, str(s.customer)) for s in sites] + refs
    exact = query.strip().upper()
    refs.sort(key=lambda r: 0 if r.label.upper().endswith(f"({exact})") else 1)
    return refs[:limit]


def resolve(user, kind: str, pk: int):
    from logbook.lookups import Ref
    from sites.selectors import customers_visible_to, sites_visible_to

    if kind == "site":
        site = sites_visible_to(user).select_related("customer").filter(pk=pk).first()
        return Ref("site", site.pk, str(site), site.customer_id, str(site.customer)) if site else None
    if kind == "customer":
        customer = customers_visible_to(user).filter(pk=pk).first()
        return Ref("customer", customer.pk, str(customer)) if customer else None
    return None
