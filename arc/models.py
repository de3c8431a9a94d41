"""The one table arc keeps: the PostgreSQL copy of process heartbeats.

Written only by arc/heartbeat.py (raw upserts from its writer thread, never in
a caller's transaction) and read by arc/health.py. It is the fallback when
Redis is down; no other app reads or writes it.
"""

from django.db import models


class ProcessHeartbeat(models.Model):
    name = models.CharField(max_length=100, primary_key=True)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict)
    host = models.CharField(max_length=100, blank=True)
    pid = models.IntegerField(null=True)

    class Meta:
        db_table = "arc_heartbeat"
        default_permissions = ()

    def __str__(self):
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
