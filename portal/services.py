"""Writers of the portal app: user accounts (disable), integration tokens,
staff presence. Each use case is one transaction with its logbook entry;
pushes happen on commit only."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logbook.models import Category
from logbook.services import entry_append
from portal.models import IntegrationToken, Scope, StaffPresence, hash_secret
from sites.roles import is_supervisor

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "arc"


def user_group(user_id: int) -> str:
    """Every websocket of a user joins this group (console and portal)."""
    return f"user.{user_id}"


def _close_sockets_now_unsafe(user_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "session.close"})
    except Exception:  # sessions are already deleted: a socket that misses this fails its next resync
        logger.warning("could not close the websockets of user %s", user_id, exc_info=True)


def user_disable(*, user, by, reason: str = ""):
    """Disable an account: no login, sessions deleted, open websockets closed."""
    if by is not None and not is_supervisor(by):
        raise PermissionError("only supervisors and administrators disable accounts")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        was_active = user.is_active
        user.is_active = False
        user.save(update_fields=["is_active"])
        deleted = 0
        # Sessions store the user id in their encoded data: decode each (a
        # centre has hundreds of sessions, not millions).
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
                session.delete()
                deleted += 1
        entry_append(action="user.disabled", category=Category.SECURITY, actor=by,
                     actor_name=None if by is not None else "ARC",
                     old={"is_active": was_active}, new={"is_active": False, "sessions_closed": deleted},
                     message=_("Compte %(u)s désactivé. %(r)s") % {"u": user.get_username(), "r": reason})
        user_id = user.pk
        transaction.on_commit(lambda: _close_sockets_now_unsafe(user_id))
    return user


def token_create(*, name: str, scopes: list[str], by, customer=None, rate_per_minute: int = 120,
                 expires_at: dt.datetime | None = None) -> tuple[IntegrationToken, str]:
    """Create a token; returns it and the clear secret (shown once, never stored)."""
    if by is not None and not is_supervisor(by):
        raise PermissionError("only administrators create integration tokens")
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValueError(f"unknown or empty scopes: {sorted(unknown)}")
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    clear = f"{TOKEN_PREFIX}_{prefix}_{secret}"
    with transaction.atomic():
        token = IntegrationToken.objects.create(
            name=name, customer=customer, scopes=sorted(set(scopes)), prefix=prefix, token_hash=hash_secret(clear),
            rate_per_minute=rate_per_minute, created_by=by, expires_at=expires_at)
        entry_append(action="token.created", category=Category.SECURITY, actor=by,
                     actor_name=None if by is not None else "ARC", customer=customer,
                     new={"token": token.pk, "prefix": prefix, "scopes": token.scopes,
                          "rate_per_minute": rate_per_minute},
                     message=_("Jeton d'intégration « %(n)s » créé (%(s)s)") % {"n": name, "s": ", ".join(token.scopes)})
    return token, clear


def token_revoke(*, token_id: int, by) -> IntegrationToken:
    if by is not None and not is_supervisor(by):
        raise PermissionError("only administrators revoke integration tokens")
    with transaction.atomic():
        token = IntegrationToken.objects.select_for_update().get(pk=token_id)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            entry_append(action="token.revoked", category=Category.SECURITY, actor=by,
                         actor_name=None if by is not None else "ARC", customer=token.customer,
                         new={"token": token.pk, "prefix": token.prefix},
                         message=_("Jeton d'intégration « %(n)s » révoqué") % {"n": token.name})
    return token


def token_authenticate(clear: str) -> IntegrationToken | None:
    """The token for a clear secret, if usable; records its last use (at most once a minute)."""
    parts = (clear or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = IntegrationToken.objects.select_related("customer").filter(prefix=parts[1]).first()
    if token is None or not secrets.compare_digest(token.token_hash, hash_secret(clear)) or not token.usable():
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def presence_touch(*, user, now: dt.datetime | None = None) -> StaffPresence:
    """Record staff activity; a long gap starts a new shift. At most one write
    a minute per user (called on every request by the security middleware)."""
    now = now or timezone.now()
    gap = dt.timedelta(hours=settings.SHIFT_GAP_HOURS)
    presence = StaffPresence.objects.filter(user=user).first()
    if presence is None:
        presence, _created = StaffPresence.objects.get_or_create(
            user=user, defaults={"last_seen_at": now, "shift_started_at": now})
        return presence
    if now - presence.last_seen_at < dt.timedelta(minutes=1):
        return presence
    if now - presence.last_seen_at >= gap:
        presence.previous_shift_ended_at = presence.last_seen_at
        presence.shift_started_at = now
    presence.last_seen_at = now
    presence.save()
    return presence


def last_shift_end(user) -> dt.datetime:
    """Since when an operator has not seen the centre's changes: the end of
    their previous shift (the logbook's Shift when they use it, else the last
    long gap in their activity), or a day ago for somebody new."""
    try:
        from logbook.models_ops import Shift
    except ImportError:  # the logbook's shifts are optional for this
        Shift = None
    if Shift is not None:
        ended = (Shift.objects.filter(operator=user, ended_at__isnull=False).order_by("-ended_at")
                 .values_list("ended_at", flat=True).first())
        if ended is not None:
            return ended
    presence = StaffPresence.objects.filter(user=user).first()
    if presence and presence.previous_shift_ended_at:
        return presence.previous_shift_ended_at
    if presence:
        return presence.shift_started_at - dt.timedelta(hours=24)
    return timezone.now() - dt.timedelta(hours=24)
