"""Create the role groups and give them their permissions (idempotent)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from sites.roles import ADMINISTRATOR, ALL_ROLES, OPERATOR, SUPERVISOR

# Administrators configure everything of ours; operators and supervisors work
# in the console and do not use the admin except to read the subscriber data.
CONFIG_APPS = ("sites", "alarms", "dispatch", "video", "logbook", "portal", "auth")


def ensure_roles() -> dict[str, Group]:
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL_ROLES}
    admin_perms = Permission.objects.filter(content_type__app_label__in=CONFIG_APPS)
    groups[ADMINISTRATOR].permissions.set(admin_perms)
    view_perms = Permission.objects.filter(content_type__app_label__in=("sites", "alarms", "logbook"),
                                           codename__startswith="view_")
    groups[SUPERVISOR].permissions.set(view_perms)
    groups[OPERATOR].permissions.set(view_perms)
    return groups
