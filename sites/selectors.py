"""Reads of the subscriber database, with the permission filter applied."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sites.models import Customer, Procedure, Site
from sites.roles import is_staff_member


def sites_visible_to(user) -> QuerySet[Site]:
    """Every query for a portal user goes through here: staff see all sites,
    a client the sites of its customers, an installer its chosen sites."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Site.objects.none()
    if is_staff_member(user):
        return Site.objects.all()
    accesses = list(user.client_access.prefetch_related("sites"))
    condition = Q(pk__in=[])
    for access in accesses:
        chosen = [s.pk for s in access.sites.all()]
        if chosen:
            condition |= Q(pk__in=chosen, customer_id=access.customer_id)
        else:
            condition |= Q(customer_id=access.customer_id)
    return Site.objects.filter(condition)


def customers_visible_to(user) -> QuerySet[Customer]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    if is_staff_member(user):
        return Customer.objects.all()
    return Customer.objects.filter(pk__in=user.client_access.values("customer_id"))


def procedure_for(site: Site, category: str) -> Procedure | None:
    """The consignes that apply: site > customer > centre, a category > all."""
    scope = Q(customer_id=site.customer_id, site__isnull=True) | Q(customer__isnull=True, site__isnull=True)
    if site.pk is not None:
        scope |= Q(site_id=site.pk)
    candidates = Procedure.objects.filter(scope).filter(Q(category=category) | Q(category="")).prefetch_related("steps")

    def rank(procedure: Procedure) -> tuple[int, int]:
        scope = 0 if procedure.site_id else 1 if procedure.customer_id else 2
        return scope, 0 if procedure.category else 1

    ordered = sorted(candidates, key=rank)
    return ordered[0] if ordered else None


def call_list(site: Site):
    return site.contacts.filter(in_call_list=True, pseudonymised_at__isnull=True).order_by("order", "id")


def sites_managed_by(user) -> QuerySet[Site]:
    """Sites whose contacts and temporary instructions the user may change: staff
    all, a client its customers' sites. Installers only put sites on test."""
    from sites.models import ClientAccess

    if user is None or not user.is_authenticated or not user.is_active:
        return Site.objects.none()
    if is_staff_member(user):
        return Site.objects.all()
    return sites_visible_to(user).filter(
        customer_id__in=user.client_access.filter(role=ClientAccess.Role.CLIENT).values("customer_id"))


def instructions_in_force(site: Site, now=None):
    from django.utils import timezone

    from sites.models import TemporaryInstruction

    now = now or timezone.now()
    return TemporaryInstruction.objects.filter(site=site, status=TemporaryInstruction.Status.ACCEPTED,
                                               starts_at__lte=now, ends_at__gt=now).order_by("starts_at")


def instruction_changes_since(site: Site, when):
    """Temporary instructions of ``site`` that changed since ``when`` (proposed,
    accepted, rejected, withdrawn, ended or replaced), newest first: what an
    operator coming back on shift must read before handling an alarm."""
    from sites.models import TemporaryInstruction

    return (TemporaryInstruction.objects.filter(site=site)
            .filter(Q(proposed_at__gte=when) | Q(decided_at__gte=when) | Q(closed_at__gte=when))
            .order_by("-proposed_at", "-id"))
