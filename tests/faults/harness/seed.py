"""Seed a fault-injection cluster: one customer, sites with transmitters, staff users.

Run as ``python -m tests.faults.harness.seed`` with the cluster's environment;
prints one JSON line describing what it made (accounts, keys, users).
"""

from __future__ import annotations

import argparse
import json
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panels", type=int, default=40)
    parser.add_argument("--encrypted", type=int, default=4)
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--bulk", action="store_true",
                        help="bench-sized: one site per plain transmitter, no zones, bulk inserts")
    parser.add_argument("--supervision", type=int, default=0,
                        help="supervision delay (s) of the bulk transmitters (0: none)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arc.settings")
    django.setup()

    from django.db import transaction

    from sites import models as m
    from sites.roles import OPERATOR, SUPERVISOR
    from tests.builders import (
        make_customer,
        make_procedure,
        make_site,
        make_transmitter,
        make_user,
        make_zone,
    )
    from tests.faults.harness.cluster import PASSWORD

    info = {"plain": [], "encrypted": {}, "users": {}}
    if args.bulk:
        with transaction.atomic():
            _bulk(args, info)
        print(json.dumps(info))
        return
    with transaction.atomic():
        customer = make_customer(code="FLT", name="Client injection de pannes")
        make_procedure(category="")
        sites = []
        for n in range(args.sites):
            site = make_site(customer, code=f"FLT{n:03d}", name=f"Site panne {n}")
            for zone in range(1, 11):
                make_zone(site, number=str(zone))
            sites.append(site)
        for n in range(args.panels):
            account = f"{0xA000 + n:X}"
            site = sites[n % len(sites)]
            if n < args.encrypted:
                key = os.urandom(16).hex().upper()
                make_transmitter(site, account, key=key, encryption=m.Transmitter.Encryption.AES128,
                                 key_format=m.Transmitter.KeyFormat.HEX, signals_per_minute=100000)
                info["encrypted"][account] = key
            else:
                make_transmitter(site, account, signals_per_minute=100000)
                info["plain"].append(account)
        for username, roles in {"op1": (OPERATOR,), "op2": (OPERATOR,), "sup1": (SUPERVISOR, OPERATOR)}.items():
            make_user(username, *roles, password=PASSWORD)
            info["users"][username] = PASSWORD
    print(json.dumps(info))


def _bulk(args, info) -> None:
    """Thousands of sites, one transmitter each (the bench's 10,000 panels)."""
    from sites import models as m
    from sites.roles import OPERATOR, SUPERVISOR
    from tests.builders import make_customer, make_procedure, make_user
    from tests.faults.harness.cluster import PASSWORD

    customers = [make_customer(code=f"BCH{n:02d}", name=f"Client banc {n}") for n in range(10)]
    make_procedure(category="")
    sites = m.Site.objects.bulk_create([
        m.Site(customer=customers[n % len(customers)], code=f"BCH{n:05d}", name=f"Site banc {n}",
               address=f"{n % 200 + 1} avenue de la République", postal_code=f"{75001 + n % 20}",
               city="Paris", region="75")
        for n in range(args.panels)
    ], batch_size=2000)
    accounts = [f"{0x100000 + n:X}" for n in range(args.panels)]
    m.Transmitter.objects.bulk_create([
        m.Transmitter(site=site, account=account, account_key=m.normalise_account(account),
                      signals_per_minute=100000, supervision_seconds=args.supervision or None)
        for site, account in zip(sites, accounts, strict=True)
    ], batch_size=2000)
    info["plain"] = accounts
    for n in range(20):
        roles = (SUPERVISOR, OPERATOR) if n < 4 else (OPERATOR,)
        username = f"bench{n:02d}"
        make_user(username, *roles, password=PASSWORD)
        info["users"][username] = PASSWORD


if __name__ == "__main__":
    main()
