"""The test cast, shared by every test (STYLE.md habit 8).

``operator`` and ``supervisor`` of the centre, ``admin_user``, ``client_a`` (a
user of customer A) and ``client_b`` (a user of customer B, who must see
nothing of A). Builders are in tests/builders.py.
"""

from __future__ import annotations

import pytest

from sites import models as m
from sites.roles import ADMINISTRATOR, CLIENT, INSTALLER, OPERATOR, SUPERVISOR
from tests.builders import make_customer, make_site, make_user

pytest_plugins = ["tests.processes"]


@pytest.fixture
def customer_a(db):
    return make_customer(code="CA", name="Client A")


@pytest.fixture
def customer_b(db):
    return make_customer(code="CB", name="Client B")


@pytest.fixture
def site_a(customer_a):
    return make_site(customer_a, code="SA1", name="Site A1")


@pytest.fixture
def site_b(customer_b):
    return make_site(customer_b, code="SB1", name="Site B1")


@pytest.fixture
def operator(db):
    return make_user("op", OPERATOR, first_name="Camille", last_name="Roux")


@pytest.fixture
def operator2(db):
    return make_user("op2", OPERATOR, first_name="Mehdi", last_name="Benali")


@pytest.fixture
def supervisor(db):
    return make_user("sup", SUPERVISOR, OPERATOR, first_name="Nathalie", last_name="Giraud")


@pytest.fixture
def admin_user(db):
    return make_user("adm", ADMINISTRATOR, is_superuser=True)


@pytest.fixture
def client_a(customer_a):
    user = make_user("client_a", CLIENT)
    m.ClientAccess.objects.create(user=user, customer=customer_a)
    return user


@pytest.fixture
def client_b(customer_b):
    user = make_user("client_b", CLIENT)
    m.ClientAccess.objects.create(user=user, customer=customer_b)
    return user


@pytest.fixture
def installer_a(customer_a, site_a):
    user = make_user("installer_a", INSTALLER)
    access = m.ClientAccess.objects.create(user=user, customer=customer_a, role=m.ClientAccess.Role.INSTALLER)
    access.sites.add(site_a)
    return user
