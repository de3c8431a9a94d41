"""Call-out deadlines: next contact (``CallOut.next_at``), attempts to send or
retry (``CallOutAttempt.due_at``), attempts stuck in ``sending``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Min

from dispatch.engine import Rule, claim, register
from dispatch.models import CallOut, CallOutAttempt
from dispatch.services import attempts as svc
from dispatch.services.callouts import callout_next

# A queued attempt is normally sent by the task enqueued on commit; the sweep
# only catches those whose task was lost, so it leaves them a little time.
SWEEP_GRACE = dt.timedelta(seconds=2)


def _next_candidates(now, excluded, limit):
    return list(CallOut.objects.filter(next_at__lte=now).exclude(pk__in=excluded)
                .order_by("next_at").values_list("pk", flat=True)[:limit])


def _next_fire(pk, now) -> bool:
    if claim(CallOut, pk, next_at__lte=now) is None:
        return False
    return callout_next(callout_id=pk, now=now)


def _next_next():
    return CallOut.objects.filter(next_at__isnull=False).aggregate(m=Min("next_at"))["m"]


def _queued_candidates(now, excluded, limit):
    return list(CallOutAttempt.objects.filter(state=CallOutAttempt.State.QUEUED, due_at__lte=now - SWEEP_GRACE)
                .exclude(pk__in=excluded).order_by("due_at").values_list("pk", flat=True)[:limit])


def _queued_fire(pk, now) -> bool:
    if claim(CallOutAttempt, pk, state=CallOutAttempt.State.QUEUED) is None:
        return False
    return svc.attempt_requeue(attempt_id=pk, now=now)


def _stuck_candidates(now, excluded, limit):
    return list(CallOutAttempt.objects.filter(state=CallOutAttempt.State.SENDING,
                                              sending_at__lte=now - svc.STUCK_SENDING)
                .exclude(pk__in=excluded).values_list("pk", flat=True)[:limit])


def _stuck_fire(pk, now) -> bool:
    if claim(CallOutAttempt, pk, state=CallOutAttempt.State.SENDING) is None:
        return False
    return svc.attempt_recover_stuck(attempt_id=pk, now=now)


register(Rule("callout_next", _next_candidates, _next_fire, _next_next))
register(Rule("attempt_queued", _queued_candidates, _queued_fire, every=1.0))
register(Rule("attempt_stuck", _stuck_candidates, _stuck_fire, every=10.0))
