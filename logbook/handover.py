"""What a handover lists automatically, filled by the apps that know it.

``register_section(title, fn)`` where ``fn(user) -> list[str]``: CONSOLE
registers the open alarms, DISPATCH the running interventions, each in its
AppConfig.ready(). The logbook imports nothing of theirs; it calls what was
registered when a handover is written and keeps a snapshot of the lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_SECTIONS: dict[str, tuple[object, Callable]] = {}


def register_section(title, fn: Callable) -> None:
    """Register (or replace, by title) one automatic section of the handover."""
    _SECTIONS[str(title)] = (title, fn)


def unregister_section(title) -> None:
    _SECTIONS.pop(str(title), None)


def collect_sections(user) -> list[dict]:
    """Each registered section's lines for ``user``. A section that fails is
    shown as failed rather than blocking the handover: the outgoing operator
    must always be able to hand over."""
    out = []
    for title, fn in _SECTIONS.values():
        try:
            items = [str(item) for item in fn(user)]
            out.append({"title": str(title), "items": items, "error": False})
        except Exception:
            logger.exception("handover section %r failed", str(title))
            out.append({"title": str(title), "items": [], "error": True})
    return out
