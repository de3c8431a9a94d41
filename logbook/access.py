"""Who may do what in the logbook.

The logbook imports nothing of ours, so it names the role groups itself
(they are Django groups created by ``sites.roles_setup``; the names are the
contract): staff write the main courante, supervisors review, export and
countersign.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

STAFF_GROUPS = frozenset({"operator", "supervisor", "administrator"})
SUPERVISOR_GROUPS = frozenset({"supervisor", "administrator"})


def _groups(user) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_logbook_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= SUPERVISOR_GROUPS
        user._logbook_groups = cached
    return cached


def is_staff_member(user) -> bool:
    return bool(_groups(user) & STAFF_GROUPS)


def is_supervisor(user) -> bool:
    return bool(_groups(user) & SUPERVISOR_GROUPS)


def _require(check):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = _require(is_staff_member)
supervisor_required = _require(is_supervisor)
