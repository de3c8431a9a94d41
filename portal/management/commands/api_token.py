from django.core.management.base import BaseCommand, CommandError

from portal.models import Scope
from portal.services import token_create, token_revoke
from sites.models import Customer


class Command(BaseCommand):
    help = "Create (prints the token once) or revoke an integration token of the REST API."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("--name", default="")
        parser.add_argument("--scope", action="append", default=[], choices=Scope.values)
        parser.add_argument("--customer", default="", help="customer code (default: the whole centre)")
        parser.add_argument("--rate", type=int, default=120, help="requests per minute")
        parser.add_argument("--id", type=int, default=None, help="token id (revoke)")

    def handle(self, *args, **options):
        if options["action"] == "revoke":
            if options["id"] is None:
                raise CommandError("--id is required")
            token = token_revoke(token_id=options["id"], by=None)
            self.stdout.write(f"revoked {token}")
            return
        if not options["name"] or not options["scope"]:
            raise CommandError("--name and at least one --scope are required")
        customer = None
        if options["customer"]:
            customer = Customer.objects.filter(code=options["customer"]).first()
            if customer is None:
                raise CommandError(f"no customer {options['customer']!r}")
        token, clear = token_create(name=options["name"], scopes=options["scope"], by=None, customer=customer,
                                    rate_per_minute=max(1, options["rate"]))
        self.stdout.write(f"token {token.pk} ({token.prefix}): {clear}\nKeep it now: it is not stored.")
