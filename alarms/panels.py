"""Registry of panels shown in the handling view by other apps.

DISPATCH registers "interventions" and "callouts", VIDEO registers "video"
(in their AppConfig.ready()). The handling view loads each panel with htmx
from ``reverse(url_name, args=[alarm.pk])``; the panel's own view authorises
and renders a fragment. Lower ``order`` shows first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Panel:
    name: str
    url_name: str
    order: int


_panels: dict[str, Panel] = {}


def register_panel(name: str, url_name: str, order: int = 100) -> None:
    _panels[name] = Panel(name=name, url_name=url_name, order=order)


def panels_for(alarm_id: int) -> list[dict]:
    """The registered panels with their URL for this alarm (unresolvable ones skipped)."""
    out = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.name)):
        try:
            url = reverse(panel.url_name, args=[alarm_id])
        except NoReverseMatch:
            continue
        out.append({"name": panel.name, "url": url})
    return out


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))
