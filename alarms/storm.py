"""Which storm rule, if any, auto-logs a signal (read side; writers in alarms/services/storm.py)."""

from __future__ import annotations

from django.db.models import Q

from alarms.models.storm import StormRule

# Never auto-logged, whatever a rule says: life safety and intrusion stay on screen.
PROTECTED_CATEGORIES = frozenset({"fire", "panic", "medical", "alarm"})


def active_rules(at):
    return StormRule.objects.filter(ended_at__isnull=True, starts_at__lte=at, ends_at__gt=at)


def matching_rule(*, site, category: str, priority: int, at, rules=None) -> StormRule | None:
    if category in PROTECTED_CATEGORIES and priority <= 3:
        return None
    candidates = rules if rules is not None else active_rules(at).filter(
        Q(customer__isnull=True) | Q(customer_id=getattr(site, "customer_id", None)))
    for rule in candidates:
        if rule.matches(site=site, category=category, priority=priority, at=at):
            return rule
    return None
