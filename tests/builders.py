"""Builders: the smallest valid rows, with keyword overrides."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from sites import models as m
from sites.roles import ADMINISTRATOR, OPERATOR, SUPERVISOR
from sites.roles_setup import ensure_roles

_seq = itertools.count(1)


def make_user(username: str, *roles: str, password: str = "pw-for-tests-only", **fields):
    groups = ensure_roles()
    user = get_user_model().objects.create_user(username=username, password=password,
                                                is_staff=bool(set(roles) & {OPERATOR, SUPERVISOR, ADMINISTRATOR}),
                                                **fields)
    user.groups.set([groups[r] for r in roles])
    return user


def make_customer(**fields) -> m.Customer:
    n = next(_seq)
    defaults = {"code": f"C{n:04d}", "name": f"Client {n}"}
    defaults.update(fields)
    return m.Customer.objects.create(**defaults)


def make_procedure(*, category: str = "", site=None, customer=None, steps=(("call_list", True),)) -> m.Procedure:
    procedure = m.Procedure.objects.create(name=f"Consigne {category or 'générale'}", category=category,
                                           site=site, customer=customer)
    for order, (kind, mandatory) in enumerate(steps, start=1):
        procedure.steps.create(order=order, kind=kind, text=f"{kind}", mandatory=mandatory)
    return procedure


def make_site(customer: m.Customer | None = None, **fields) -> m.Site:
    n = next(_seq)
    defaults = {"customer": customer or make_customer(), "code": f"S{n:04d}", "name": f"Site {n}",
                "address": f"{n} rue de la Paix", "postal_code": "75002", "city": "Paris", "region": "75"}
    defaults.update(fields)
    return m.Site.objects.create(**defaults)


def make_zone(site: m.Site, number: str = "1", zone_type: str = m.Zone.Type.INTRUSION, **fields) -> m.Zone:
    return m.Zone.objects.create(site=site, number=number, label=fields.pop("label", f"Zone {number}"),
                                 zone_type=zone_type, **fields)


def make_transmitter(site: m.Site, account: str | None = None, *, key: str = "", **fields) -> m.Transmitter:
    transmitter = m.Transmitter(site=site, account=account or f"{next(_seq):04X}", **fields)
    if key:
        transmitter.set_key(key)
    transmitter.save()
    return transmitter


def make_contact(site: m.Site, name: str = "Jean Dupont", phone: str = "+33611223344", **fields) -> m.Contact:
    return m.Contact.objects.create(site=site, name=name, phone=phone, **fields)


