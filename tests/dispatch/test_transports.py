"""Transports at their real boundary: a local SMTP server and a local HTTP
server standing in for the provider; each error says whether a retry helps."""

from __future__ import annotations

import socketserver
import threading

import pytest

from arc.embedded import free_port
from dispatch.transports import Message, TransportError
from dispatch.transports.email import EmailTransport
from dispatch.transports.phone import SmsTransport, VoiceTransport
from dispatch.transports.webhook import WebhookTransport
from tests.dispatch.fakes import FakeHttp


class FakeSmtp:
    """Just enough SMTP: the answer to RCPT TO is scripted (250, 451, 550)."""

    def __init__(self, rcpt_reply: str):
        self.port = free_port()
        self.messages: list[bytes] = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 fake ESMTP\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250 fake\r\n")
                    elif verb == b"MAIL":
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == b"RCPT":
                        self.wfile.write(rcpt_reply.encode() + b"\r\n")
                    elif verb == b"DATA":
                        self.wfile.write(b"354 go\r\n")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        fake.messages.append(data)
                        self.wfile.write(b"250 queued as 42\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.mark.parametrize("reply, outcome", [("250 ok", "sent"), ("451 try later", "retry"),
                                            ("550 no such user", "permanent")])
def test_email_over_smtp(smtp_settings, reply, outcome):
    server = FakeSmtp(reply)
    smtp_settings.EMAIL_PORT = server.port
    message = Message(to="alice@example.fr", subject="ARC", body="Alarme", link="https://arc.example/ack/x/")
    try:
        if outcome == "sent":
            EmailTransport().send(message)
            assert b"https://arc.example/ack/x/" in server.messages[0]
        else:
            with pytest.raises(TransportError) as caught:
                EmailTransport().send(message)
            assert caught.value.retryable is (outcome == "retry")
    finally:
        server.close()


def test_smtp_server_down_is_retryable(smtp_settings):
    smtp_settings.EMAIL_PORT = free_port()  # nobody listens
    with pytest.raises(TransportError) as caught:
        EmailTransport().send(Message(to="a@example.fr", subject="s", body="b"))
    assert caught.value.retryable


def test_twilio_voice_call_and_log_provider(settings, caplog):
    settings.VOICE_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "AC9", "tok", "+33700000000"
    with FakeHttp([(201, {"sid": "CA77"})]) as twilio:
        settings.TWILIO_API_URL = twilio.url
        assert VoiceTransport().send(Message(to="+33611111111", subject="", body="Alarme <intrusion> & feu")) == "CA77"
        [request] = twilio.requests
        assert request["path"].endswith("/Accounts/AC9/Calls.json")
        assert "Alarme &lt;intrusion&gt; &amp; feu" in request["form"]["Twiml"]
        assert request["headers"]["Authorization"].startswith("Basic ")
    settings.SMS_PROVIDER = "log"
    with caplog.at_level("INFO", logger="dispatch.phone"):
        assert SmsTransport().send(Message(to="+33611111111", subject="", body="Test")).startswith("log-")
    assert "+33611111111" in caplog.text


def test_twilio_unconfigured_and_unreachable(settings):
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(TransportError) as caught:
        SmsTransport().send(Message(to="+33611111111", subject="", body="x"))
    assert not caught.value.retryable
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "AC9", "tok", "+33700000000"
    settings.TWILIO_API_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TransportError) as caught:
        SmsTransport().send(Message(to="+33611111111", subject="", body="x"))
    assert caught.value.retryable


def test_webhook_errors(settings):
    for status, retryable in ((503, True), (429, True), (404, False)):
        with FakeHttp([(status, {})]) as server:
            with pytest.raises(TransportError) as caught:
                WebhookTransport().send(Message(to=server.url, subject="", body="", payload={"a": 1}, secret="k"))
            assert caught.value.retryable is retryable
