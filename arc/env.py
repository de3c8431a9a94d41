"""Strict settings from the environment.

Every variable ARC reads is declared here with its type. An ``ARC_*`` variable
that nobody declared is a typo and stops start-up, as does a malformed value:
a centre that silently ignores ``ARC_DC09_PROT=10002`` listens on the wrong
port and panels fail over for no visible reason.

A secret can be given as ``NAME_FILE`` (a path) instead of ``NAME``; the file's
content, stripped, is the value (Docker and systemd credentials).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_DECLARED: set[str] = set()
_PREFIX = "ARC_"
# Variables that are not ARC_* but that we read on purpose.
_FOREIGN = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}


def _raw(name: str) -> str | None:
    _DECLARED.add(name)
    file_name = f"{name}_FILE"
    _DECLARED.add(file_name)
    if file_name in os.environ:
        path = Path(os.environ[file_name])
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{file_name}={path}: cannot read ({exc})") from exc
    return os.environ.get(name)


def string(name: str, default: str | None = None, *, choices: tuple[str, ...] | None = None) -> str:
    value = _raw(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set")
        return default
    if choices and value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def boolean(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true or false")


def integer(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number")
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number}: expected a number between {minimum} and {maximum}")
    return number


def number(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        result = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a number")
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name}={result}: expected at least {minimum}")
    return result


def string_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database_url(url: str) -> dict:
    """postgres://user:password@host:port/name?sslmode=… → a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported scheme {parsed.scheme!r} (PostgreSQL only)")
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL: no database name")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


def check_unknown() -> None:
    """Refuse ARC_* variables that no setting reads (typos)."""
    unknown = sorted(
        name for name in os.environ if name.startswith(_PREFIX) and name not in _DECLARED
    )
    if unknown:
        raise ImproperlyConfigured(
            "Unknown setting(s) in the environment: " + ", ".join(unknown)
            + ". Check the spelling against docs/configuration.md."
        )


def declare(*names: str) -> None:
    """Declare ARC_* variables read outside settings.py (runner, tests, benches)."""
    for name in names:
        _DECLARED.add(name)
        _DECLARED.add(f"{name}_FILE")
