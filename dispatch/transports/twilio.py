"""Twilio's REST API for SMS and voice calls (plain HTTPS, no SDK).

``TWILIO_API_URL`` points at https://api.twilio.com in production; tests point
it at a local HTTP server standing in for Twilio (the HTTP boundary).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape

from django.conf import settings

from dispatch.transports.base import TransportError, http_error_retryable

TIMEOUT = 10


def _post(resource: str, fields: dict) -> dict:
    sid = settings.TWILIO_ACCOUNT_SID
    if not sid or not settings.TWILIO_AUTH_TOKEN or not settings.TWILIO_FROM:
        raise TransportError("Twilio n'est pas configuré (ARC_TWILIO_*)", retryable=False)
    url = f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}/{resource}.json"
    auth = base64.b64encode(f"{sid}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Authorization": f"Basic {auth}",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read() or b"{}").get("message", "")
        except ValueError:
            detail = ""
        raise TransportError(f"Twilio HTTP {exc.code} {detail}".strip(), retryable=http_error_retryable(exc.code))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TransportError(f"Twilio injoignable : {exc}", retryable=True)


def send_sms(to: str, body: str) -> str:
    return _post("Messages", {"To": to, "From": settings.TWILIO_FROM, "Body": body[:1500]}).get("sid", "")


def place_call(to: str, text: str) -> str:
    twiml = (f'<Response><Say language="fr-FR">{escape(text)}</Say><Pause length="1"/>'
             f'<Say language="fr-FR">{escape(text)}</Say></Response>')
    return _post("Calls", {"To": to, "From": settings.TWILIO_FROM, "Twiml": twiml}).get("sid", "")
