"""Reads of site faults (console, portal, health)."""

from __future__ import annotations

from alarms.models import Fault


def open_faults(site):
    """The site's faults still open (battery, mains, communication, tamper), newest first."""
    site_id = getattr(site, "pk", site)
    return Fault.objects.filter(site_id=site_id, closed_at__isnull=True).order_by("-opened_at")


def faults_of(site, *, limit: int = 50):
    site_id = getattr(site, "pk", site)
    return Fault.objects.filter(site_id=site_id).order_by("-opened_at")[:limit]
