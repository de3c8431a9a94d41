"""The admin catches silent misconfiguration."""

from __future__ import annotations

import pytest

from sites.forms import ContactForm, SiteForm, TransmitterForm
from sites.models import Site, Transmitter
from sites.services import problems_of
from tests.builders import make_contact, make_procedure, make_site, make_transmitter

HEX128 = "00112233445566778899AABBCCDDEEFF"


def _transmitter_form(site, **data):
    base = {"site": site.pk, "account": "5678", "receiver_prefix": "", "line_prefix": "",
            "encryption": "aes128", "key_format": "hex", "key": HEX128, "signals_per_minute": 120,
            "enabled": "on"}
    base.update(data)
    return TransmitterForm(data=base)


@pytest.mark.parametrize("encryption,key_format,key,ok", [
    ("aes128", "hex", HEX128, True),
    ("aes128", "ascii", "ABCDEFGHIJKLMNOP", True),
    ("aes192", "hex", "00" * 24, True),
    ("aes192", "ascii", "A" * 24, True),
    ("aes256", "hex", "00" * 32, True),
    ("aes256", "ascii", HEX128, True),       # 32 characters read as ASCII: AES-256
    ("aes128", "ascii", HEX128, False),      # the ambiguous 32 characters are not 16 ASCII bytes
    ("aes256", "hex", HEX128, False),        # 32 hex digits are 16 bytes, not 32
    ("aes128", "hex", "00112233445566778899AABBCCDDEEFG", False),  # not hex
    ("aes128", "hex", "", False),            # encrypted without a key
])
def test_key_length_must_match_size_and_format(db, encryption, key_format, key, ok):
    site = make_site()
    make_procedure()
    form = _transmitter_form(site, encryption=encryption, key_format=key_format, key=key)
    assert form.is_valid() is ok, form.errors


def test_key_is_stored_encrypted_and_reads_back(db):
    site = make_site()
    form = _transmitter_form(site)
    assert form.is_valid(), form.errors
    transmitter = form.save()
    stored = Transmitter.objects.get(pk=transmitter.pk)
    assert HEX128 not in stored.key_encrypted and HEX128.lower() not in stored.key_encrypted
    assert stored.key_bytes() == bytes.fromhex(HEX128)


def test_duplicate_account_is_refused_across_overlapping_prefixes(db):
    make_transmitter(make_site(), "001234")
    form = _transmitter_form(make_site(), account="1234", encryption="none", key="")
    assert not form.is_valid()
    assert "account" in form.errors


def test_same_account_on_distinct_receiver_prefixes_is_allowed(db):
    make_transmitter(make_site(), "1234", receiver_prefix="1")
    form = _transmitter_form(make_site(), account="1234", receiver_prefix="2", encryption="none", key="")
    assert form.is_valid(), form.errors


def test_monitored_site_without_any_procedure_is_refused(db):
    site = make_site()
    data = {"customer": site.customer.pk, "code": "S9", "name": "x", "address": "1 rue", "postal_code": "75001",
            "city": "Paris", "country": "FR", "timezone": "Europe/Paris", "monitoring_state": "in_service",
            "armed_state": "unknown", "open_tolerance_minutes": 15, "close_tolerance_minutes": 30}
    assert not SiteForm(data=data).is_valid()
    make_procedure()  # a centre-wide default now applies
    assert SiteForm(data=data).is_valid()


def test_site_on_test_needs_an_end(db):
    site = make_site()
    make_procedure()
    data = {"customer": site.customer.pk, "code": "S10", "name": "x", "address": "1 rue", "postal_code": "75001",
            "city": "Paris", "country": "FR", "timezone": "Europe/Paris", "monitoring_state": "on_test",
            "armed_state": "unknown", "open_tolerance_minutes": 15, "close_tolerance_minutes": 30}
    form = SiteForm(data=data)
    assert not form.is_valid() and "test_until" in form.errors


def test_unknown_time_zone_is_refused(db):
    site = make_site()
    site.timezone = "Europe/Pariss"
    with pytest.raises(Exception, match="Fuseau horaire inconnu"):
        site.full_clean()


@pytest.mark.parametrize("phone,ok", [("06 11 22 33 44", True), ("+33 1 42 60 31 70", True),
                                      ("0611", False), ("not a number", False)])
def test_contact_phone_numbers_are_validated_and_normalised(db, phone, ok):
    site = make_site()
    form = ContactForm(data={"site": site.pk, "order": 1, "name": "A", "role": "keyholder", "phone": phone,
                             "in_call_list": "on"})
    assert form.is_valid() is ok
    if ok:
        assert form.save().phone.startswith("+33")


def test_passwords_are_hashed_and_duress_recognised(db):
    site = make_site()
    form = ContactForm(data={"site": site.pk, "order": 1, "name": "A", "role": "keyholder",
                             "phone": "0611223344", "ok_password": "soleil", "duress_password": "orage"})
    assert form.is_valid(), form.errors
    contact = form.save()
    assert "soleil" not in contact.ok_password_hash
    assert contact.check_spoken_password("soleil") == "ok"
    assert contact.check_spoken_password("orage") == "duress"
    assert contact.check_spoken_password("pluie") == "wrong"


def test_problems_of_a_half_configured_site(db):
    site = make_site()
    problems = problems_of(site)
    assert any("consigne" in p for p in problems)
    assert any("transmetteur" in p.lower() for p in problems)
    assert any("liste d'appel" in p for p in problems)
    make_procedure()
    make_transmitter(site, ats_category=None, supervision_seconds=300)
    make_contact(site)
    assert problems_of(site) == []


def test_procedure_resolution_prefers_site_then_customer_then_centre(db):
    site = make_site()
    centre = make_procedure()
    centre_fire = make_procedure(category="fire")
    customer_any = make_procedure(customer=site.customer)
    site_fire = make_procedure(category="fire", site=site)
    from sites.selectors import procedure_for

    assert procedure_for(site, "fire") == site_fire
    assert procedure_for(site, "alarm") == customer_any
    other = make_site()
    assert procedure_for(other, "fire") == centre_fire
    assert procedure_for(other, "alarm") == centre
    assert Site.objects.count() == 2
