"""Email through Django's mail backend (SMTP in production)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from dispatch.transports.base import Message, Transport, TransportError


class EmailTransport(Transport):
    channel = "email"

    def send(self, message: Message) -> str:
        body = message.body + (f"\n\n{message.link}\n" if message.link else "")
        mail = EmailMessage(subject=message.subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                            to=[message.to], connection=get_connection(timeout=settings.EMAIL_TIMEOUT))
        try:
            sent = mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            # 4xx per recipient is temporary (mailbox full, greylisting); 5xx is final.
            codes = [code for code, _msg in exc.recipients.values()]
            raise TransportError(f"adresse refusée : {exc.recipients}",
                                 retryable=bool(codes) and all(400 <= c < 500 for c in codes))
        except smtplib.SMTPResponseException as exc:
            # 4xx: temporary (greylisting, mailbox busy); 5xx: permanent.
            raise TransportError(f"SMTP {exc.smtp_code} {exc.smtp_error!r}", retryable=400 <= exc.smtp_code < 500)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP injoignable : {exc}", retryable=True)
        if not sent:
            raise TransportError("message non accepté par le serveur", retryable=True)
        return mail.extra_headers.get("Message-ID", "") or "smtp"
