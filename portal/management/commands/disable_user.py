from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.services import user_disable


class Command(BaseCommand):
    help = "Disable an account now: no login, sessions deleted, open websockets closed (logged)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", default="")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        user_disable(user=user, by=None, reason=options["reason"])
        self.stdout.write(f"{user.get_username()} disabled")
