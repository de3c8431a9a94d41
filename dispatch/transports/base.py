"""One class per external channel (STYLE.md habit 5): ``send(message)``
returns the provider's reference, or raises ``TransportError`` saying whether
a retry can help (a timeout, a 503) or not (an invalid number, a 400)."""

from __future__ import annotations

from dataclasses import dataclass, field


class TransportError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass
class Message:
    to: str
    subject: str
    body: str
    link: str = ""
    payload: dict = field(default_factory=dict)  # webhooks: the JSON document
    secret: str = ""  # webhooks: the HMAC key


class Transport:
    channel = ""

    def send(self, message: Message) -> str:  # pragma: no cover - interface
        raise NotImplementedError


def http_error_retryable(status: int) -> bool:
    """429 and 5xx may pass later; other 4xx will not."""
    return status == 429 or status >= 500
