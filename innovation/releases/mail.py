"""The digest as an e-mail: plain text and HTML, with the charts as inline images.

The message is ``multipart/alternative`` (a plain-text part, then ``multipart/related`` holding
the HTML and its PNG charts, which the HTML names by ``cid:``), so every mail reader shows
something and the good ones show the charts without fetching anything.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from innovation.releases.digest import Letter

CID_DOMAIN = "innovation.digest"


def message_id(delivery_id: str) -> str:
    """A Message-ID derived from the delivery, so a resent attempt is recognisably the same."""
    return f"<{delivery_id}@{CID_DOMAIN}>"


def compose(
    letter: Letter,
    *,
    sender: str,
    recipient: str,
    delivery_id: str,
    at: datetime,
) -> EmailMessage:
    """The digest's e-mail to one recipient, ``letter`` rendered with their link (and feed
    key)."""
    message = EmailMessage()
    message["Subject"] = letter.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id(delivery_id)
    message.set_content(letter.markdown)
    message.add_alternative(letter.email_html, subtype="html")
    related = next(part for part in message.iter_parts() if part.get_content_type() == "text/html")
    for chart in letter.charts:
        if chart.png is None:
            raise ValueError(f"the {chart.name} chart was drawn for a page, without its PNG")
        related.add_related(
            chart.png,
            maintype="image",
            subtype="png",
            cid=f"<{chart.name}>",
            filename=f"{chart.name}.png",
        )
    return message
