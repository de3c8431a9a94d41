"""Celery tasks of dispatch. Thin: they take ids and call one service.

``dispatch.tick`` runs every second (arc/celery.py): it claims due rows, it
is never the record of a deadline. ``dispatch.attempt_send`` does the I/O of
one call-out attempt, after its ``sending`` row is committed.
"""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="dispatch.tick", ignore_result=True, acks_late=False)
def tick() -> dict:
    from dispatch.engine import tick as run_tick

    return run_tick()


@shared_task(name="dispatch.attempt_send", ignore_result=True)
def attempt_send(attempt_id: int) -> str:
    from dispatch import transports
    from dispatch.services import attempts as svc

    attempt = svc.attempt_begin(attempt_id=attempt_id)
    if attempt is None:
        return "skipped"
    try:
        message = svc.attempt_message(attempt)
        provider_id = transports.for_channel(attempt.channel).send(message)
    except transports.TransportError as exc:
        svc.attempt_finish(attempt_id=attempt_id, error=str(exc), retryable=exc.retryable)
        return "retry" if exc.retryable else "failed"
    except Exception as exc:  # a bug or an unexpected library error: retry, never lose the attempt
        logger.exception("attempt %s: unexpected error", attempt_id)
        svc.attempt_finish(attempt_id=attempt_id, error=f"{type(exc).__name__}: {exc}", retryable=True)
        return "retry"
    svc.attempt_finish(attempt_id=attempt_id, provider_id=provider_id)
    return "sent"


@shared_task(name="dispatch.watchdog", ignore_result=True)
def watchdog() -> str:
    from dispatch.services.timers import timers_watchdog

    return timers_watchdog(source="worker")
