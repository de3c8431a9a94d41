"""Storm mode: during a storm (a power cut over a region, a thunderstorm),
low-priority signals of chosen categories are logged instead of queued, so
fire, hold-up and intrusion stay on top. Every rule expires by itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class StormRule(models.Model):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    categories = ArrayField(models.CharField(max_length=12), verbose_name=_("catégories"))
    # Signals with a priority number >= this (i.e. less urgent) are auto-logged.
    min_priority = models.PositiveSmallIntegerField(_("à partir de la priorité"), default=4)
    customer = models.ForeignKey("sites.Customer", on_delete=models.CASCADE, null=True, blank=True,
                                 verbose_name=_("client"))
    region = models.CharField(_("région / département"), max_length=40, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    matched_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("règle de mode tempête")
        verbose_name_plural = _("règles de mode tempête")
        ordering = ["-starts_at"]

    def __str__(self):
        scope = self.customer or self.region or _("tout le centre")
        return f"{', '.join(self.categories)} ≥ P{self.min_priority} [{scope}]"

    def matches(self, *, site, category: str, priority: int, at) -> bool:
        if self.ended_at is not None or not (self.starts_at <= at < self.ends_at):
            return False
        if category not in self.categories or priority < self.min_priority:
            return False
        if self.customer_id and (site is None or site.customer_id != self.customer_id):
            return False
        if self.region and (site is None or site.region != self.region):
            return False
        return True
