from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "alarms"
    verbose_name = _("Alarmes")

    def ready(self):
        # The shift handover lists the open alarms (logbook imports nothing of ours).
        from alarms.handover import open_alarms_lines
        from logbook.handover import register_section

        register_section(_("Alarmes en cours"), open_alarms_lines)
