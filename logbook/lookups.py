"""Finding a customer or a site by code or name, without importing ``sites``.

The logbook stores references as an id plus a text rendering. The app that
owns customers and sites registers two callables in its ``AppConfig.ready()``:

- ``search(user, query, limit) -> list[Ref]``: what the quick form proposes;
- ``resolve(user, kind, pk) -> Ref | None``: turns a posted id back into the
  authoritative label (a posted label is never trusted when a resolver exists),
  and refuses ids the user may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Ref:
    kind: str  # "site" or "customer"
    pk: int
    label: str
    customer_id: int | None = None
    customer_label: str = ""


_search: Callable | None = None
_resolve: Callable | None = None


def register(*, search: Callable, resolve: Callable) -> None:
    global _search, _resolve
    _search, _resolve = search, resolve


def registered() -> bool:
    return _search is not None


def search(user, query: str, limit: int = 10) -> list[Ref]:
    query = (query or "").strip()
    if _search is None or len(query) < 1:
        return []
    return list(_search(user, query, limit))[:limit]


def resolve(user, kind: str, pk, label: str = "") -> Ref | None:
    """The reference for a posted id; without a resolver, the posted label."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if _resolve is None:
        return Ref(kind=kind, pk=pk, label=(label or f"#{pk}")[:250])
    return _resolve(user, kind, pk)
