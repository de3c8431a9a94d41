import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sites.services_contacts import person_erase, person_export


class Command(BaseCommand):
    help = ("A person's contact data under the GDPR: `export` prints what the centre holds (JSON); `erase` "
            "pseudonymises their Contact rows (the logbook chain is not touched).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--username", default="", help="the person's portal account")
        parser.add_argument("--reason", default="", help="recorded in the logbook with the erasure")

    def handle(self, *args, **options):
        user = None
        if options["username"]:
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']!r}")
        if not (options["email"] or options["phone"] or user):
            raise CommandError("give --email, --phone or --username")
        if options["action"] == "export":
            data = person_export(email=options["email"], phone=options["phone"], user=user)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            done = person_erase(actor=None, email=options["email"], phone=options["phone"], user=user,
                                reason=options["reason"])
            self.stdout.write(f"{len(done)} contact(s) pseudonymised: {done}")
