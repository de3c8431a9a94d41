"""Landing: send each user to the screen of their role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from sites.roles import CLIENT, INSTALLER, roles_of


def _first(*names):
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse("admin:index")


@login_required
def home(request):
    roles = roles_of(request.user)
    if roles & {CLIENT, INSTALLER} and not roles - {CLIENT, INSTALLER}:
        return redirect(_first("portal:home"))
    return redirect(_first("alarms:console", "admin:index"))
