"""Sending over SMTP to a real server on loopback: accepted, refused for now, refused for good."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from innovation.outbound.smtp import SendFailedError, SmtpSender, SmtpSettings
from tests.smtp_server import Mailbox, SmtpServer, free_port


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "pipeline@example.org"
    mail["To"] = "ceo@example.org"
    mail["Subject"] = "Release 2026-H1"
    mail.set_content("Two ideas shipped.")
    return mail


async def test_a_message_reaches_the_server() -> None:
    mailbox = Mailbox()
    with SmtpServer(mailbox) as server:
        await SmtpSender(SmtpSettings(host="127.0.0.1", port=server.port)).send(message())

    [received] = mailbox.received
    assert received["Subject"] == "Release 2026-H1"


async def test_a_temporary_refusal_is_worth_a_retry() -> None:
    mailbox = Mailbox(refusals=1)
    with SmtpServer(mailbox) as server:
        sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=server.port))
        with pytest.raises(SendFailedError) as failed:
            await sender.send(message())
        await sender.send(message())

    assert failed.value.retry
    assert len(mailbox.received) == 1


async def test_a_permanent_refusal_is_not_retried() -> None:
    mailbox = Mailbox(refusals=1, answer="554 5.7.1 message refused")
    with SmtpServer(mailbox) as server, pytest.raises(SendFailedError) as failed:
        await SmtpSender(SmtpSettings(host="127.0.0.1", port=server.port)).send(message())

    assert not failed.value.retry


async def test_no_server_listening_is_worth_a_retry() -> None:
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=free_port(), timeout_seconds=2))

    with pytest.raises(SendFailedError) as failed:
        await sender.send(message())

    assert failed.value.retry
