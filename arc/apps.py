from django.apps import AppConfig


class ArcConfig(AppConfig):
    name = "arc"
    verbose_name = "ARC"
