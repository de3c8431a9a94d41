"""Pages reached without an account: the guard's mission page and a contact's
acknowledgement link (both signed, django.core.signing), and the inbound SMS
webhook (a provider's signature or a shared token)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dispatch import links
from dispatch.models import CallOut, Intervention
from dispatch.services import callouts as callout_services
from dispatch.services import interventions as intervention_services

logger = logging.getLogger(__name__)


def _intervention(token: str) -> Intervention:
    try:
        data = links.read_guard_token(token)
    except signing.BadSignature:
        raise Http404(_("Lien invalide ou expiré."))
    intervention = (Intervention.objects.select_related("site", "provider", "alarm")
                    .filter(pk=data.get("i"), link_nonce=data.get("n")).first())
    if intervention is None:
        raise Http404(_("Lien invalide ou expiré."))
    return intervention


@require_http_methods(["GET", "POST"])
def guard(request, token: str):
    intervention = _intervention(token)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "report":
                intervention_services.intervention_report(
                    intervention_id=intervention.pk, text=request.POST.get("report", ""),
                    photos=request.FILES.getlist("photos"), guard_name=request.POST.get("guard_name", ""))
            elif action in (Intervention.State.ACCEPTED, Intervention.State.EN_ROUTE, Intervention.State.ON_SITE):
                intervention_services.intervention_advance(intervention_id=intervention.pk, state=action,
                                                           guard_name=request.POST.get("guard_name", ""))
            else:
                raise intervention_services.InterventionError(_("Action inconnue."))
        except intervention_services.InterventionError as exc:
            error, status = str(exc), 400
        intervention.refresh_from_db()
    return render(request, "dispatch/guard.html", {
        "intervention": intervention, "site": intervention.site, "error": error,
        "photos": list(intervention.photos.all())}, status=status)


@require_http_methods(["GET", "POST"])
def callout_ack(request, token: str):
    """GET shows a button; only the POST acknowledges (mail scanners open links)."""
    try:
        data = links.read_callout_token(token)
    except signing.BadSignature:
        raise Http404(_("Lien invalide ou expiré."))
    callout = CallOut.objects.select_related("site", "alarm").filter(pk=data.get("c")).first()
    if callout is None:
        raise Http404(_("Lien invalide ou expiré."))
    error = ""
    if request.method == "POST":
        attempt = callout.attempts.filter(pk=data.get("a")).first()
        by = attempt.contact_name if attempt else _("lien signé")
        try:
            callout = callout_services.callout_acknowledge(callout_id=callout.pk, by=by, via="link")
        except callout_services.CallOutError as exc:
            error = str(exc)
    return render(request, "dispatch/callout_ack.html", {"callout": callout, "error": error})


def _twilio_signature_ok(request) -> bool:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL plus the sorted POST fields."""
    expected = request.headers.get("X-Twilio-Signature", "")
    url = links.absolute(request.path)
    data = url + "".join(f"{k}{v}" for k, v in sorted(request.POST.items()))
    digest = base64.b64encode(hmac.new(settings.TWILIO_AUTH_TOKEN.encode(), data.encode(), hashlib.sha1).digest())
    return bool(expected) and hmac.compare_digest(digest.decode(), expected)


@csrf_exempt
@require_POST
def sms_inbound(request):
    """A contact's SMS reply (Twilio's form fields From and Body)."""
    if settings.SMS_PROVIDER == "twilio":
        if not _twilio_signature_ok(request):
            return HttpResponseForbidden("bad signature")
    elif not settings.SMS_INBOUND_TOKEN or not hmac.compare_digest(
            request.GET.get("token", ""), settings.SMS_INBOUND_TOKEN):
        return HttpResponseForbidden("bad token")
    sender, body = request.POST.get("From", ""), request.POST.get("Body", "")
    try:
        callout = callout_services.callout_ack_by_sms(sender=sender, body=body)
    except callout_services.CallOutError:
        callout = None
    except Exception:  # a malformed number: answer the provider, log, lose nothing else
        logger.warning("inbound SMS from %r not understood", sender, exc_info=True)
        callout = None
    reply = _("Merci, appel acquitté.") if callout else _("Code non reconnu.")
    twiml = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{reply}</Message></Response>'
    return HttpResponse(twiml, content_type="text/xml")
