"""The digest outbox's sender: delivers what is due, records every attempt, sends nothing twice.

One process at a time sends (it holds the ``outbox.digest`` lease, taken over within seconds
when the holder dies). A delivery is sent only while pending; the attempt's outcome is recorded
as an event right after, so a restart resumes with what is still pending and due. The message's
id is the delivery id (the release's log position and the recipient), so in the one window a
crash can leave (after the server accepted, before the success was recorded) a receiving server
sees the same Message-ID again.

A delivery is sent only to an address still addressed when it is due: an executive whose token
was revoked after the digest was queued (or an address taken out of
``INNOVATION_DIGEST_RECIPIENTS``) is not sent it. The delivery is closed as failed, with the
reason, rather than left pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from innovation.domain.deliveries import FIRST_RETRY, RecordFailure, RecordSent
from innovation.outbound.smtp import SendFailedError, SmtpSender
from innovation.projections import releases as views
from innovation.releases.documents import Documents
from innovation.releases.mail import compose
from innovation.releases.service import Releases
from innovation.releases.shipping import addressees
from innovation.services import Actor
from innovation.services.pipeline import Pipeline
from innovation.store import CheckpointedReader, Failures, Readers
from innovation.tokens import executive_addresses

log = logging.getLogger(__name__)

SENDER_LEASE = CheckpointedReader("outbox.digest", lambda connection, batch: None)
"""Only its lease is used: it says which process sends."""
OUTBOX = Actor("system:digest-outbox", "admin")


class DigestOutbox:
    def __init__(
        self,
        *,
        releases: Releases,
        documents: Documents,
        pipeline: Pipeline,
        readers: Readers,
        smtp: SmtpSender,
        sender: str,
        clock: Callable[[], datetime],
        recipients: Callable[[], tuple[str, ...]],
        first_retry: timedelta = FIRST_RETRY,
        poll_seconds: float = 5.0,
    ) -> None:
        self.releases = releases
        self.documents = documents
        self.pipeline = pipeline
        self.readers = readers
        self.smtp = smtp
        self.sender = sender
        self.clock = clock
        self.recipients = recipients
        """The configured addresses (``INNOVATION_DIGEST_RECIPIENTS``), besides executives."""
        self.first_retry = first_retry
        self.poll_seconds = poll_seconds
        self.wake = asyncio.Event()

    @property
    def database(self):
        return self.readers.database

    async def send_due(self, *, now_or_later: bool = False) -> int:
        """Send every delivery that is due (with ``now_or_later``, every pending one: an
        operator's "retry now"), if this process holds the sender's lease."""
        if await self.readers.claim(SENDER_LEASE) is None:
            return 0
        now = self.clock()
        due = await self.database.read(
            partial(views.due_deliveries, now=None if now_or_later else now)
        )
        if not due:
            return 0
        keys = await self.database.read(executive_addresses)
        addressed = set(addressees(keys, self.recipients()))
        sent = 0
        for delivery in due:
            if await self.readers.claim(SENDER_LEASE) is None:
                break  # another process took over: it sends the rest
            if delivery.recipient in addressed:
                sent += await self._attempt(delivery, keys.get(delivery.recipient))
            else:
                await self._withdraw(delivery)
        return sent

    async def _withdraw(self, delivery: views.DeliveryView) -> None:
        """Close a delivery whose recipient is no longer addressed, unsent, saying why."""
        now = self.clock()
        reason = (
            "not sent: no longer a recipient (no live executive token has this address, and "
            "INNOVATION_DIGEST_RECIPIENTS does not list it)"
        )
        command = RecordFailure(
            delivery_id=delivery.delivery_id,
            at=now,
            error=reason,
            retry=False,
            first_retry=self.first_retry,
        )
        await self.pipeline.execute(command, OUTBOX, at=now)
        log.info("digest %s to %s: %s", delivery.period, delivery.recipient, reason)

    async def _attempt(self, delivery: views.DeliveryView, key: str | None) -> int:
        release = await self.releases.release(delivery.period)
        if release is None:  # pragma: no cover - queued only after the release exists
            return 0
        now = self.clock()
        message = compose(
            await self.documents.letter(release, key=key),
            sender=self.sender,
            recipient=delivery.recipient,
            delivery_id=delivery.delivery_id,
            at=now,
        )
        try:
            await self.smtp.send(message)
        except SendFailedError as failed:
            log.warning("digest %s to %s: %s", delivery.period, delivery.recipient, failed)
            command = RecordFailure(
                delivery_id=delivery.delivery_id,
                at=now,
                error=str(failed),
                retry=failed.retry,
                first_retry=self.first_retry,
            )
            await self.pipeline.execute(command, OUTBOX, at=now)
            return 0
        await self.pipeline.execute(
            RecordSent(delivery_id=delivery.delivery_id, at=now), OUTBOX, at=now
        )
        log.info("digest %s sent to %s", delivery.period, delivery.recipient)
        return 1

    async def run(self) -> None:
        """Send what is due now, and again whenever woken or every ``poll_seconds``."""
        failures = Failures("sending digests", self.poll_seconds, longest=300.0, log=log)
        try:
            while True:
                pause = self.poll_seconds
                try:
                    await self.send_due()
                    failures.succeeded()
                except Exception as error:  # the database or the server hiccuped: try later
                    pause = failures.failed(error)
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=pause)
        finally:
            await asyncio.shield(self.readers.release(SENDER_LEASE))
