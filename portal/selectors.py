"""Reads for clients, installers and integrations, always customer-filtered.

Every query starts from ``sites.selectors.sites_visible_to`` (portal users)
or from the token's customer (integrations); nothing here trusts an id from
the request without going through that filter.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from alarms.models import Alarm, AlarmEvent, Signal, SignalEvent
from logbook.models import LogEntry
from sites.models import ClientAccess, Site
from sites.roles import is_staff_member
from sites.selectors import sites_visible_to

# Logbook categories a client may read about its own sites. Security entries
# (logins, tokens, erasures) and the centre's internal notes are not theirs.
CLIENT_LOGBOOK_CATEGORIES = ("alarm", "signal", "dispatch", "video", "config", "call", "keys", "visitor",
                             "incident", "correction")


def is_installer_only(user) -> bool:
    """A user whose every access is an installer's: test mode and signals only."""
    if is_staff_member(user):
        return False
    roles = set(user.client_access.values_list("role", flat=True))
    return bool(roles) and roles == {ClientAccess.Role.INSTALLER}


def client_sites(user) -> QuerySet[Site]:
    """Sites whose status, alarms and logbook the user sees (not installer-only accesses)."""
    if is_staff_member(user):
        return sites_visible_to(user)
    client_customers = user.client_access.filter(role=ClientAccess.Role.CLIENT).values("customer_id")
    return sites_visible_to(user).filter(customer_id__in=client_customers)


def alarms_for_client(user) -> QuerySet[Alarm]:
    return Alarm.objects.filter(site__in=client_sites(user)).select_related("site", "zone")


def alarm_events_for_client(user, alarm: Alarm, after_id: int = 0) -> QuerySet[AlarmEvent]:
    """The timeline of one alarm (the feed rows), for a client allowed to see it."""
    if not client_sites(user).filter(pk=alarm.site_id).exists():
        return AlarmEvent.objects.none()
    return AlarmEvent.objects.filter(alarm=alarm, id__gt=after_id).order_by("id")


def feed_for_client(user, after_id: int, limit: int = 200) -> QuerySet[AlarmEvent]:
    """Feed rows after ``after_id`` for the user's sites (resync of the portal socket)."""
    site_ids = list(client_sites(user).values_list("pk", flat=True))
    return (AlarmEvent.objects.filter(id__gt=after_id, site_id_copy__in=site_ids)
            .select_related("alarm").order_by("id")[:limit])


def signal_events_for(user, *, site: Site | None = None) -> QuerySet[SignalEvent]:
    """Event history (parsed signals) of the user's sites — installers included."""
    sites = sites_visible_to(user)
    if site is not None:
        sites = sites.filter(pk=site.pk)
    return (SignalEvent.objects.filter(site__in=sites).select_related("signal", "zone_ref", "site")
            .order_by("-id"))


def signals_for(user, *, site: Site | None = None) -> QuerySet[Signal]:
    sites = sites_visible_to(user)
    if site is not None:
        sites = sites.filter(pk=site.pk)
    return Signal.objects.filter(site__in=sites).order_by("-id")


def logbook_for_client(user, *, site: Site | None = None) -> QuerySet[LogEntry]:
    """Logbook extract of the user's sites (entries that name one of them)."""
    sites = client_sites(user)
    if site is not None:
        sites = sites.filter(pk=site.pk)
    site_ids = list(sites.values_list("pk", flat=True))
    return LogEntry.objects.filter(site_id__in=site_ids, category__in=CLIENT_LOGBOOK_CATEGORIES).order_by("-id")


# --- integrations (REST API): a token sees its customer, or all with no customer ---------

def _token_filter(token, field: str) -> Q:
    if token.customer_id is None:
        return Q()
    return Q(**{field: token.customer_id})


def sites_for_token(token) -> QuerySet[Site]:
    return Site.objects.filter(_token_filter(token, "customer_id")).select_related("customer")


def alarms_for_token(token) -> QuerySet[Alarm]:
    return Alarm.objects.filter(_token_filter(token, "customer_id")).select_related("site", "zone")


def events_for_token(token) -> QuerySet[SignalEvent]:
    return SignalEvent.objects.filter(_token_filter(token, "site__customer_id")).select_related(
        "signal", "site").order_by("-id")


def logbook_for_token(token) -> QuerySet[LogEntry]:
    entries = LogEntry.objects.order_by("-id")
    if token.customer_id is None:
        return entries
    site_ids = list(Site.objects.filter(customer_id=token.customer_id).values_list("pk", flat=True))
    return entries.filter(Q(customer_id=token.customer_id) | Q(site_id__in=site_ids),
                          category__in=CLIENT_LOGBOOK_CATEGORIES)
