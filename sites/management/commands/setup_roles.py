from django.core.management.base import BaseCommand

from sites.roles_setup import ensure_roles


class Command(BaseCommand):
    help = "Create the role groups (operator, supervisor, administrator, client, installer)."

    def handle(self, *args, **options):
        groups = ensure_roles()
        self.stdout.write("roles: " + ", ".join(sorted(groups)))
