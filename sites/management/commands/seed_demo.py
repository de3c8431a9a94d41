"""Load the demo centre (idempotent). Each app may add its part in <app>/demo.py."""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_APPS = ("sites", "alarms", "dispatch", "video", "logbook", "portal")


class Command(BaseCommand):
    help = "Create or refresh the demo centre (customers, sites, users, transmitters…)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with a known password: refused with DEBUG off "
                               "(use --force if this really is a demo machine).")
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(log=lambda msg: self.stdout.write(msg))
