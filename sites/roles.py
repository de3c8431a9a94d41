"""Roles are Django groups. One name for each, used everywhere."""

from __future__ import annotations

OPERATOR = "operator"
SUPERVISOR = "supervisor"
ADMINISTRATOR = "administrator"
CLIENT = "client"
INSTALLER = "installer"

ALL_ROLES = (OPERATOR, SUPERVISOR, ADMINISTRATOR, CLIENT, INSTALLER)
STAFF_ROLES = frozenset({OPERATOR, SUPERVISOR, ADMINISTRATOR})


def roles_of(user) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_arc_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names |= {ADMINISTRATOR, SUPERVISOR, OPERATOR}
        cached = frozenset(names & set(ALL_ROLES))
        user._arc_roles = cached
    return cached


def is_staff_member(user) -> bool:
    """Operators, supervisors and administrators: the centre's own people."""
    return bool(roles_of(user) & STAFF_ROLES)


def is_supervisor(user) -> bool:
    return bool(roles_of(user) & {SUPERVISOR, ADMINISTRATOR})
