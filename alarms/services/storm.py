"""Storm mode writers: a supervisor switches a rule on (two clicks in the
console), it auto-logs matching low-priority signals for N minutes and then
expires by itself (``StormRule.ends_at``; intake consults
``alarms.storm.matching_rule``). Fire, hold-up, medical and intrusion are
never auto-logged (``alarms.storm.PROTECTED_CATEGORIES``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.models import Category, StormRule
from alarms.services.lifecycle import AlarmError, user_label
from alarms.storm import PROTECTED_CATEGORIES
from logbook.models import Category as LogCategory
from logbook.services import entry_append
from sites.roles import is_supervisor

MAX_STORM_MINUTES = 12 * 60

# The presets offered by the console: one click chooses, one click confirms.
PRESETS = {
    "power": {"categories": ["trouble", "supervision"], "min_priority": 4, "minutes": 60},
    "troubles": {"categories": ["trouble", "supervision", "tamper"], "min_priority": 4, "minutes": 30},
    "openclose": {"categories": ["openclose", "test", "restore"], "min_priority": 6, "minutes": 30},
}


def storm_rule_create(*, supervisor, categories, minutes: int, min_priority: int = 4, customer=None,
                      region: str = "", reason: str = "") -> StormRule:
    if not is_supervisor(supervisor):
        raise AlarmError(_("Seul un chef de salle peut activer le mode tempête."))
    categories = sorted({str(c) for c in (categories or [])})
    if not categories:
        raise AlarmError(_("Choisissez au moins une catégorie."))
    unknown = [c for c in categories if c not in Category.values]
    if unknown:
        raise AlarmError(_("Catégorie inconnue : %(c)s") % {"c": ", ".join(unknown)})
    try:
        minutes, min_priority = int(minutes), int(min_priority)
    except (TypeError, ValueError):
        raise AlarmError(_("Durée ou priorité invalide."))
    if not 1 <= minutes <= MAX_STORM_MINUTES:
        raise AlarmError(_("La durée va de 1 à %(max)d minutes.") % {"max": MAX_STORM_MINUTES})
    if not 1 <= min_priority <= 9:
        raise AlarmError(_("La priorité va de 1 à 9."))
    protected = [c for c in categories if c in PROTECTED_CATEGORIES]
    if protected and min_priority <= 3:
        raise AlarmError(_("Incendie, agression, médical et intrusion ne sont jamais consignés "
                           "automatiquement en priorité 1 à 3."))
    region = (region or "").strip()
    now = timezone.now()
    with transaction.atomic():
        rule = StormRule.objects.create(created_by=supervisor, categories=categories, min_priority=min_priority,
                                        customer=customer, region=region, starts_at=now,
                                        ends_at=now + dt.timedelta(minutes=minutes), reason=(reason or "")[:200])
        feed_record(alarm=None, kind="storm.on", actor=supervisor, data={"rule": rule.pk})
        scope = customer.name if customer else (region or _("tout le centre"))
        entry_append(action="storm.rule_created", category=LogCategory.SYSTEM, actor=supervisor,
                     customer=customer,
                     message=_("Mode tempête activé %(m)d min (%(cats)s, priorité ≥ %(p)d, %(scope)s). %(reason)s") % {
                         "m": minutes, "cats": ", ".join(categories), "p": min_priority, "scope": scope,
                         "reason": reason or ""},
                     new={"rule": rule.pk, "categories": categories, "min_priority": min_priority,
                          "minutes": minutes, "region": region, "until": rule.ends_at})
    return rule


def storm_rule_end(*, supervisor, rule: StormRule) -> StormRule:
    if not is_supervisor(supervisor):
        raise AlarmError(_("Seul un chef de salle peut arrêter le mode tempête."))
    with transaction.atomic():
        rule = StormRule.objects.select_for_update().get(pk=rule.pk)
        now = timezone.now()
        if rule.ended_at is not None or rule.ends_at <= now:
            return rule
        rule.ended_at = now
        rule.save(update_fields=["ended_at"])
        feed_record(alarm=None, kind="storm.off", actor=supervisor, data={"rule": rule.pk})
        entry_append(action="storm.rule_ended", category=LogCategory.SYSTEM, actor=supervisor,
                     customer=rule.customer,
                     message=_("Mode tempête arrêté par %(name)s (%(n)d signaux consignés)") % {
                         "name": user_label(supervisor), "n": rule.matched_count},
                     new={"rule": rule.pk, "matched": rule.matched_count})
    return rule
