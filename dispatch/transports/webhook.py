"""A signed POST to a customer's system.

Headers: ``X-ARC-Timestamp`` (Unix seconds) and ``X-ARC-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>``;
the receiver recomputes it and refuses old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from dispatch.transports.base import Message, Transport, TransportError, http_error_retryable

TIMEOUT = 10


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookTransport(Transport):
    channel = "webhook"

    def send(self, message: Message) -> str:
        body = json.dumps(message.payload, sort_keys=True, default=str).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(message.to, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "ARC-webhook/1",
            "X-ARC-Timestamp": timestamp, "X-ARC-Signature": signature(message.secret, timestamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            raise TransportError(f"HTTP {exc.code}", retryable=http_error_retryable(exc.code))
        except (urllib.error.URLError, OSError) as exc:
            raise TransportError(f"injoignable : {exc}", retryable=True)
