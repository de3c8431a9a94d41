"""Signed links for people without an account (contacts, guards).

``django.core.signing`` with a salt per purpose: a call-out link cannot be
replayed as a guard link. A guard link also carries the intervention's nonce,
so reissuing the link (a new nonce) revokes the old one.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

CALLOUT_SALT = "arc.dispatch.callout-ack"
GUARD_SALT = "arc.dispatch.guard"


def absolute(path: str) -> str:
    return settings.DISPATCH_PUBLIC_URL.rstrip("/") + path


def callout_token(callout_id: int, attempt_id: int | None = None) -> str:
    return signing.dumps({"c": callout_id, "a": attempt_id}, salt=CALLOUT_SALT, compress=True)


def callout_link(callout_id: int, attempt_id: int | None = None) -> str:
    return absolute(reverse("dispatch:callout_ack", args=[callout_token(callout_id, attempt_id)]))


def read_callout_token(token: str, *, max_age_hours: int = 72) -> dict:
    return signing.loads(token, salt=CALLOUT_SALT, max_age=max_age_hours * 3600)


def guard_token(intervention_id: int, nonce: str) -> str:
    return signing.dumps({"i": intervention_id, "n": nonce}, salt=GUARD_SALT, compress=True)


def guard_link(intervention_id: int, nonce: str) -> str:
    return absolute(reverse("dispatch:guard", args=[guard_token(intervention_id, nonce)]))


def read_guard_token(token: str) -> dict:
    return signing.loads(token, salt=GUARD_SALT, max_age=settings.GUARD_LINK_MAX_AGE_HOURS * 3600)
