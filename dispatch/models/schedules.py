"""Schedule supervision: each site's next opening/closing check is a deadline row."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteSchedule(models.Model):
    class Check(models.TextChoices):
        OPEN = "open", _("Ouverture attendue")
        CLOSE = "close", _("Fermeture attendue")

    site = models.OneToOneField("sites.Site", on_delete=models.CASCADE, primary_key=True,
                                related_name="schedule_state")
    # Deadline: the next check (opening + tolerance, or closing + tolerance).
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_check = models.CharField(max_length=5, choices=Check.choices, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    # The last armed/disarmed change already judged against the schedule.
    armed_seen_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.site_id}: {self.next_check} @ {self.next_check_at}"
