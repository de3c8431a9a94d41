from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "sites"
    verbose_name = _("Abonnés")

    def ready(self):
        # The logbook's quick-entry picker finds customers and sites here.
        from logbook import lookups
        from sites import logbook_lookup

        lookups.register(search=logbook_lookup.search, resolve=logbook_lookup.resolve)
