"""Phone numbers are validated and stored in E.164 (French numbers by default)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(value: str, region: str = "FR") -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Numéro de téléphone invalide : %(value)s") % {"value": value}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Numéro de téléphone invalide : %(value)s") % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    if value:
        normalise_phone(value)


def display_phone(value: str) -> str:
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, "FR"),
                                          phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return value
