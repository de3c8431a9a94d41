"""Call-out transports: one class per channel."""

from dispatch.transports.base import Message, Transport, TransportError  # noqa: F401
from dispatch.transports.email import EmailTransport
from dispatch.transports.phone import SmsTransport, VoiceTransport
from dispatch.transports.webhook import WebhookTransport

TRANSPORTS = {t.channel: t for t in (EmailTransport, SmsTransport, VoiceTransport, WebhookTransport)}


def for_channel(channel: str) -> Transport:
    return TRANSPORTS[channel]()
