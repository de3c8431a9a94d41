"""The main menu: each app's screens that exist and that the user's roles allow."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from sites.roles import ADMINISTRATOR, CLIENT, INSTALLER, OPERATOR, SUPERVISOR, roles_of

register = template.Library()

STAFF = {OPERATOR, SUPERVISOR, ADMINISTRATOR}
LINKS = [
    ("alarms:console", _("Console"), STAFF),
    ("alarms:signals", _("Journal des signaux"), {SUPERVISOR, ADMINISTRATOR}),
    ("logbook:home", _("Main courante"), STAFF),
    ("dispatch:home", _("Interventions"), STAFF),
    ("video:wall", _("Vidéo"), STAFF),
    ("logbook:review", _("Supervision"), {SUPERVISOR, ADMINISTRATOR}),
    ("portal:instructions_pending", _("Consignes temporaires"), STAFF),
    ("portal:home", _("Mes sites"), {CLIENT, INSTALLER}),
    ("admin:index", _("Paramétrage"), {ADMINISTRATOR}),
]


@register.simple_tag(takes_context=True)
def nav_links(context):
    user = context.get("user")
    roles = roles_of(user) if user is not None else frozenset()
    links = []
    for name, label, allowed in LINKS:
        if not roles & allowed:
            continue
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return links
