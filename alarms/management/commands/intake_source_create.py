"""``manage.py intake_source_create NAME [--customer CODE]``: a token for POST /api/v1/events."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alarms.models import IntakeSource
from logbook.models import Category
from logbook.services import entry_append
from sites.models import Customer


class Command(BaseCommand):
    help = "Create an event source for POST /api/v1/events and print its token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--customer", help="restrict the source to this customer's sites (customer code)")

    def handle(self, *args, name, customer=None, **opts):
        owner = None
        if customer:
            owner = Customer.objects.filter(code=customer).first()
            if owner is None:
                raise CommandError(f"unknown customer code {customer!r}")
        if IntakeSource.objects.filter(name=name).exists():
            raise CommandError(f"an event source named {name!r} exists already")
        token = "arcsrc_" + secrets.token_urlsafe(32)
        with transaction.atomic():
            source = IntakeSource(name=name, customer=owner)
            source.set_token(token)
            source.save()
            entry_append(action="intake_source.created", category=Category.SECURITY, actor_name="manage.py",
                         customer=owner, message=f"Source d'événements API créée : {name}",
                         new={"name": name, "prefix": source.token_prefix})
        self.stdout.write(token)
