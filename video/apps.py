from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "video"
    verbose_name = _("Vidéo")

    def ready(self):
        from alarms.panels import register_panel
        from alarms.realtime import register_ws_handler
        from video import realtime

        register_ws_handler("video.offer", realtime.on_offer)
        register_ws_handler("video.hangup", realtime.on_hangup)
        register_panel("video", "video:alarm_panel", 20)
