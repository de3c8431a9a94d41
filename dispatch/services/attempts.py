"""Call-out attempts: one message to one address.

DESIGN.md rule 4: ``queued`` → ``sending`` is committed before the I/O
(``dispatch.tasks.attempt_send`` does the I/O between ``attempt_begin`` and
``attempt_finish``); a retryable failure goes back to ``queued`` with backoff.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import links
from dispatch.models import CallOut, CallOutAttempt, WebhookEndpoint
from dispatch.services.callouts import _enqueue, _enqueue_later, _feed
from logbook.models import Category
from logbook.services import entry_append

STUCK_SENDING = dt.timedelta(seconds=90)


def attempt_begin(*, attempt_id: int) -> CallOutAttempt | None:
    """queued → sending, committed. None if someone else took it or it is no longer wanted."""
    now = timezone.now()
    with transaction.atomic():
        attempt = (CallOutAttempt.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("callout__alarm", "callout__site__customer")
                   .filter(pk=attempt_id, state=CallOutAttempt.State.QUEUED).first())
        if attempt is None:
            return None
        callout = attempt.callout
        if callout.reason == CallOut.Reason.CALL_LIST and callout.state != CallOut.State.RUNNING:
            attempt.state, attempt.finished_at = CallOutAttempt.State.CANCELLED, now
            attempt.error = _("Appel déjà acquitté ou arrêté")
            attempt.save(update_fields=["state", "finished_at", "error"])
            return None
        attempt.state, attempt.sending_at, attempt.tries = CallOutAttempt.State.SENDING, now, attempt.tries + 1
        attempt.due_at = None
        attempt.save(update_fields=["state", "sending_at", "tries", "due_at"])
        _feed(callout, "callout_attempt", {"attempt": attempt.pk, "state": "sending", "channel": attempt.channel,
                                           "contact": attempt.contact_name})
    return attempt


def attempt_finish(*, attempt_id: int, provider_id: str = "", error: str = "", retryable: bool = False) -> None:
    now = timezone.now()
    with transaction.atomic():
        attempt = (CallOutAttempt.objects.select_for_update(of=("self",))
                   .select_related("callout__alarm", "callout__site__customer").get(pk=attempt_id))
        if attempt.state != CallOutAttempt.State.SENDING:
            return
        callout = attempt.callout
        if not error:
            attempt.state, attempt.provider_id, attempt.error = CallOutAttempt.State.SENT, provider_id[:100], ""
            attempt.finished_at = now
            result = "sent"
        elif retryable and attempt.tries < settings.CALLOUT_MAX_TRIES:
            delay = min(5 * 3 ** (attempt.tries - 1), 300)  # 5 s, 15 s, 45 s… capped at 5 min
            attempt.state, attempt.due_at, attempt.error = CallOutAttempt.State.QUEUED, now + dt.timedelta(
                seconds=delay), error[:500]
            result = "retry"
            _enqueue_later(attempt.pk, delay)
        else:
            attempt.state, attempt.error, attempt.finished_at = CallOutAttempt.State.FAILED, error[:500], now
            result = "failed"
        attempt.save(update_fields=["state", "provider_id", "error", "finished_at", "due_at"])
        _feed(callout, "callout_attempt", {"attempt": attempt.pk, "state": result, "channel": attempt.channel,
                                           "contact": attempt.contact_name, "error": error[:200]})
        if result != "retry":
            entry_append(
                action="callout.attempt", category=Category.DISPATCH, alarm=callout.alarm, site=callout.site,
                customer=callout.site.customer,
                new={"callout": callout.pk, "attempt": attempt.pk, "channel": attempt.channel,
                     "contact": attempt.contact_name, "result": result, "error": error[:200]},
                message=(_("%(channel)s envoyé à %(name)s (%(address)s)") if result == "sent" else
                         _("%(channel)s à %(name)s (%(address)s) en échec : %(error)s")) % {
                    "channel": attempt.get_channel_display(), "name": attempt.contact_name,
                    "address": attempt.address, "error": error[:200]})


def attempt_recover_stuck(*, attempt_id: int, now: dt.datetime) -> bool:
    """A worker died between ``sending`` and the result: the outcome is unknown,
    send again (a duplicate message beats a missing one). Caller holds the lock."""
    updated = CallOutAttempt.objects.filter(pk=attempt_id, state=CallOutAttempt.State.SENDING,
                                            sending_at__lte=now - STUCK_SENDING).update(
        state=CallOutAttempt.State.QUEUED, due_at=now, error=_("Résultat inconnu (envoi interrompu), nouvel essai"))
    return bool(updated)


def attempt_requeue(*, attempt_id: int, now: dt.datetime) -> bool:
    """A queued attempt nobody sent (lost enqueue, broker down): enqueue it again, later
    deadline so the next ticks do not enqueue it every second."""
    updated = CallOutAttempt.objects.filter(pk=attempt_id, state=CallOutAttempt.State.QUEUED,
                                            due_at__lte=now).update(due_at=now + dt.timedelta(seconds=15))
    if updated:
        _enqueue([attempt_id])
    return bool(updated)


def attempt_message(attempt: CallOutAttempt):
    """What to send for one attempt (the text plus, for acknowledgeable call-outs, the code and link)."""
    from dispatch.transports import Message

    callout = attempt.callout
    subject = _("ARC télésurveillance — %(site)s") % {"site": callout.site.name}
    body = callout.message
    link = ""
    if callout.reason == CallOut.Reason.GUARD:
        intervention = callout.intervention
        if intervention is not None:
            link = links.guard_link(intervention.pk, intervention.link_nonce)
    elif callout.reason == CallOut.Reason.CALL_LIST:
        link = links.callout_link(callout.pk, attempt.pk)
        body += " " + _("Pour acquitter, répondez %(code)s ou ouvrez le lien.") % {"code": callout.ack_code}
    payload = {}
    secret = ""
    if attempt.channel == CallOutAttempt.Channel.WEBHOOK:
        hook = WebhookEndpoint.objects.filter(customer_id=callout.site.customer_id, url=attempt.address).first()
        secret = hook.secret if hook else ""
        alarm = callout.alarm
        payload = {"type": "alarm", "callout": callout.pk, "site": callout.site.code, "message": callout.message,
                   "alarm": {"id": alarm.pk, "title": alarm.title, "category": alarm.category,
                             "priority": alarm.priority, "created_at": alarm.created_at.isoformat()}
                   if alarm else None}
    if attempt.channel == CallOutAttempt.Channel.VOICE:
        body = callout.message  # spoken: no link
    return Message(to=attempt.address, subject=subject, body=body, link=link, payload=payload, secret=secret)
