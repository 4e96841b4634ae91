"""Sending one e-mail over SMTP with aiosmtplib, and telling a passing failure from a lasting one.

A refusal the server marks as temporary (4xx), a connection that fails or times out is worth
another try later; a permanent refusal (5xx) of the recipient or the message is not, and is
recorded as such instead of being retried for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    tls: str = "off"
    """``off``, ``starttls`` (upgrade after connecting) or ``implicit`` (TLS from the start)."""
    timeout_seconds: float = 30.0


class SendFailedError(Exception):
    """The message did not go; ``retry`` says whether trying again later may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class SmtpSender:
    """Hands messages to an SMTP server; one connection per message (digests are rare)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> str:
        """Send, returning the server's answer; raise ``SendFailedError`` otherwise."""
        settings = self.settings
        try:
            _, answer = await aiosmtplib.send(
                message,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.tls == "implicit",
                start_tls=settings.tls == "starttls",
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [error.code for error in refused.recipients]
            retry = all(400 <= code < 500 for code in codes)
            raise SendFailedError(f"recipient refused: {refused}", retry=retry) from refused
        except aiosmtplib.SMTPResponseException as refused:
            retry = 400 <= refused.code < 500 or refused.code < 200
            raise SendFailedError(
                f"server answered {refused.code}: {refused.message}", retry=retry
            ) from refused
        except (aiosmtplib.SMTPException, OSError) as failed:
            raise SendFailedError(f"could not reach the server: {failed}", retry=True) from failed
        return answer
