"""Authentication, scopes and rate limits of the integration API.

A request carries ``Authorization: Bearer arc_<prefix>_<secret>``. The token
is looked up by its prefix and compared by hash (the clear token is never
stored). ``request.user`` becomes an ``Integration`` (not a Django user: an
integration has no session, no role, no password), ``request.auth`` the
IntegrationToken. INTAKE's POST /api/v1/events uses the same classes with
the ``events:write`` scope.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions, throttling

from portal.services import token_authenticate


class Integration:
    """The principal of an API request."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, token):
        self.token = token

    def __str__(self):
        return f"integration:{self.token.name}"

    def get_username(self):
        return f"integration:{self.token.prefix}"

    def get_full_name(self):
        return self.token.name


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"bearer", b"token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: expected 'Bearer <token>'.")
        try:
            clear = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = token_authenticate(clear)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return Integration(token), token

    def authenticate_header(self, request):
        return self.keyword


class HasScope(permissions.BasePermission):
    """The view's ``required_scope`` must be among the token's scopes."""

    message = "This token does not have the scope this endpoint requires."

    def has_permission(self, request, view):
        token = request.auth
        if token is None or not hasattr(token, "has_scope"):
            return False
        scope = getattr(view, "required_scope", None)
        return bool(scope) and token.has_scope(scope)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Per-token limit (``IntegrationToken.rate_per_minute``), counted in the
    Redis cache so that every web node shares the count."""

    scope = "integration"
    rate = "120/min"  # replaced per request by the token's own rate

    def get_rate(self):
        return self.rate

    def allow_request(self, request, view):
        token = request.auth
        if token is None or not hasattr(token, "rate_per_minute"):
            return True  # unauthenticated requests never get this far (401)
        self.num_requests, self.duration = token.rate_per_minute, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return f"arc:api:throttle:token:{request.auth.pk}"
