from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Interventions et temporisations")

    def ready(self):
        from alarms.panels import register_panel

        register_panel("callouts", "dispatch:alarm_callouts", 30)
        register_panel("interventions", "dispatch:alarm_interventions", 40)
        try:
            from logbook.handover import register_section
        except ImportError:  # pragma: no cover - LOGBOOK's registry not there
            return
        from dispatch.selectors import handover_lines

        register_section(_("Interventions en cours"), handover_lines)
