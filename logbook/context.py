"""The correlation id groups one operator action with everything it triggers.

Set per request by ``CorrelationMiddleware`` (and by tasks that act on behalf
of an earlier action); services that write the logbook pick it up.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid

_correlation: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar("arc_correlation", default=None)


def current_correlation() -> uuid.UUID | None:
    return _correlation.get()


@contextlib.contextmanager
def correlation(value: uuid.UUID | str | None = None):
    token = _correlation.set(uuid.UUID(str(value)) if value else uuid.uuid4())
    try:
        yield _correlation.get()
    finally:
        _correlation.reset(token)
