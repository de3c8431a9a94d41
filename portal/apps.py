from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portail client")

    def ready(self):
        from logbook.verify import register_checkpoint_source
        from portal.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from portal.retention import latest_checkpoint

        # verify_logbook starts from the newest retention checkpoint.
        register_checkpoint_source(latest_checkpoint)

        try:
            from alarms.panels import register_panel
        except ImportError:  # the console's panel registry is not there yet
            return
        # Temporary instructions on the handling view, with what changed since the operator's last shift.
        register_panel("instructions", "portal:alarm_instructions", 40)
