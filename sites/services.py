"""Writers of the subscriber database (besides the admin): monitoring state,
armed state, supervision timestamps. Each writes its logbook entry in the
same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logbook.models import Category
from logbook.services import entry_append
from sites.models import Site, Transmitter
from sites.selectors import procedure_for

MAX_TEST_DURATION = dt.timedelta(days=7)


class SiteError(Exception):
    """A request the site's state does not allow; the message is for the user."""


def problems_of(site: Site) -> list[str]:
    """Silent misconfiguration, in words an administrator acts on."""
    problems = []
    monitored = site.monitoring_state != Site.Monitoring.OUT_OF_SERVICE
    if monitored and procedure_for(site, "alarm") is None:
        problems.append(_("Aucune consigne ne s'applique à ce site."))
    if monitored and not site.transmitters.filter(enabled=True).exists():
        problems.append(_("Aucun transmetteur actif : le site ne peut rien transmettre."))
    for transmitter in site.transmitters.all():
        if transmitter.encrypted and not transmitter.key_encrypted:
            problems.append(_("Le transmetteur #%(a)s est chiffré mais n'a pas de clé.") % {"a": transmitter.account})
        if transmitter.supervision_period() is None:
            problems.append(_("Le transmetteur #%(a)s n'a pas de délai de supervision.") % {"a": transmitter.account})
    if monitored and not site.contacts.filter(in_call_list=True).exists():
        problems.append(_("La liste d'appel est vide."))
    return problems


def site_set_test(*, site: Site, until: dt.datetime, actor, reason: str = "") -> Site:
    """Mise en test: signals are journaled and logged, no operator alarm, until ``until``."""
    now = timezone.now()
    if until <= now:
        raise SiteError(_("La fin de la mise en test doit être dans le futur."))
    if until - now > MAX_TEST_DURATION:
        raise SiteError(_("Une mise en test ne peut dépasser 7 jours."))
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        old = {"monitoring_state": site.monitoring_state, "test_until": site.test_until}
        site.monitoring_state = Site.Monitoring.ON_TEST
        site.test_until = until
        site.save(update_fields=["monitoring_state", "test_until"])
        entry_append(action="site.test_start", category=Category.CONFIG,
                     actor=actor, site=site, customer=site.customer, old=old,
                     new={"monitoring_state": site.monitoring_state, "test_until": until},
                     message=_("Site mis en test jusqu'au %(until)s. %(reason)s") % {
                         "until": timezone.localtime(until, site.tz).strftime("%d/%m/%Y %H:%M"), "reason": reason})
    return site


def site_end_test(*, site: Site, actor=None, expired: bool = False) -> Site | None:
    """Back in service; called by an operator, or by the timers when the window ends."""
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        if site.monitoring_state != Site.Monitoring.ON_TEST:
            return None
        if expired and site.test_until and site.test_until > timezone.now():
            return None
        site.monitoring_state = Site.Monitoring.IN_SERVICE
        old_until = site.test_until
        site.test_until = None
        site.save(update_fields=["monitoring_state", "test_until"])
        entry_append(action="site.test_end", category=Category.CONFIG, actor=actor, site=site,
                     customer=site.customer, old={"test_until": old_until},
                     new={"monitoring_state": site.monitoring_state},
                     message=_("Fin de mise en test (échéance atteinte)") if expired else _("Fin de mise en test"))
    return site


def site_set_armed(*, site: Site, armed_state: str, at: dt.datetime, by: str = "") -> bool:
    """Record an opening or closing. Returns whether the state changed. The
    caller (intake) is already in a transaction and writes the logbook."""
    updated = Site.objects.filter(pk=site.pk).exclude(armed_state=armed_state).update(
        armed_state=armed_state, armed_changed_at=at)
    if updated:
        site.armed_state = armed_state
        site.armed_changed_at = at
    return bool(updated)


# Also run by the receiver's writer inside its own one-round-trip transaction.
TRANSMITTER_SEEN_SQL = """
    UPDATE sites_transmitter t SET last_seen_at = %s,
        line_due_at = %s + make_interval(secs => COALESCE(t.supervision_seconds, c.primary_seconds))
    FROM sites_transmitter t2 LEFT JOIN sites_atscategory c ON c.id = t2.ats_category_id
    WHERE t.id = t2.id AND t.id = ANY(%s::bigint[])
"""


def transmitter_seen(*, transmitter_ids: list[int], at: dt.datetime, test: bool = False) -> None:
    """Restart line supervision (and test supervision for test reports). Bulk, for the receiver."""
    if not transmitter_ids:
        return
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(TRANSMITTER_SEEN_SQL, [at, at, list(transmitter_ids)])
        if test:
            cursor.execute(
                """UPDATE sites_transmitter SET last_test_at = %s,
                       test_due_at = %s + make_interval(secs => test_interval_seconds)
                   WHERE id = ANY(%s)""",
                [at, at, list(transmitter_ids)],
            )


SYSTEM_CUSTOMER_CODE = "ARC-INTERNE"


def system_site() -> Site:
    """The site that carries the centre's own alarms (timers stopped, equipment),
    created on first use so that no installation can lack it."""
    from django.conf import settings

    from sites.models import Customer

    site = Site.objects.filter(code=settings.SYSTEM_SITE_CODE).first()
    if site is not None:
        return site
    with transaction.atomic():
        customer, _ = Customer.objects.get_or_create(code=SYSTEM_CUSTOMER_CODE, defaults={
            "name": "Centre ARC (alarmes système)", "kind": Customer.Kind.COMPANY})
        site, created = Site.objects.get_or_create(code=settings.SYSTEM_SITE_CODE, defaults={
            "customer": customer, "name": "Centre ARC — temporisations et équipements",
            "address": "Salle de supervision", "postal_code": "75000", "city": "Paris", "region": "75"})
        if created:
            entry_append(action="config.add", category=Category.CONFIG, site=site, customer=customer,
                         message="Site système du centre créé (porte les alarmes propres au centre)")
    return site


__all__ = ["system_site", "SiteError", "problems_of", "site_set_test", "site_end_test", "site_set_armed", "transmitter_seen",
           "Transmitter"]
