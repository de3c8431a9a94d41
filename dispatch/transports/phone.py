"""SMS and voice through a provider chosen in settings: ``log`` (default: the
message is written to the log, for demos and centres without a provider) or
``twilio``."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings

from dispatch.transports import twilio
from dispatch.transports.base import Message, Transport, TransportError

logger = logging.getLogger("dispatch.phone")


class SmsTransport(Transport):
    channel = "sms"

    def send(self, message: Message) -> str:
        text = message.body + (f" {message.link}" if message.link else "")
        if settings.SMS_PROVIDER == "twilio":
            return twilio.send_sms(message.to, text)
        if settings.SMS_PROVIDER == "log":
            ref = f"log-{uuid.uuid4().hex[:12]}"
            logger.info("SMS %s to %s: %s", ref, message.to, text)
            return ref
        raise TransportError(f"fournisseur SMS inconnu {settings.SMS_PROVIDER!r}", retryable=False)


class VoiceTransport(Transport):
    channel = "voice"

    def send(self, message: Message) -> str:
        if settings.VOICE_PROVIDER == "twilio":
            return twilio.place_call(message.to, message.body)
        if settings.VOICE_PROVIDER == "log":
            ref = f"log-{uuid.uuid4().hex[:12]}"
            logger.info("CALL %s to %s: %s", ref, message.to, message.body)
            return ref
        raise TransportError(f"fournisseur vocal inconnu {settings.VOICE_PROVIDER!r}", retryable=False)
