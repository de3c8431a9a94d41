"""Hooks that higher apps fill in their AppConfig.ready(), so that alarms
never imports them (DESIGN.md: no cycles).

- ``register_client_notifier(fn)``: DISPATCH's automatic client call-out.
  ``fn(*, alarm_id, operator_id, note)`` is called after commit, when an
  operator asks the centre to notify the client by call-out; it records its
  own attempts (row before I/O) and runs them from its workers.
"""

from __future__ import annotations

from collections.abc import Callable

_client_notifier: Callable | None = None


def register_client_notifier(fn: Callable) -> None:
    global _client_notifier
    _client_notifier = fn


def client_notifier() -> Callable | None:
    return _client_notifier
