"""Template context: the user's roles, so layouts show the right menus."""

from sites.roles import roles_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": frozenset()}
    return {"roles": roles_of(user)}
