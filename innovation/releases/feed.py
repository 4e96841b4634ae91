"""The Atom feed of releases (RFC 4287), one entry per release, newest first, built by feedgen.

Links carry the reader's feed key, since feed readers cannot send an Authorization header.
Entry ids do not: they are derived from the period alone, so an entry keeps its id whoever
reads it and however the service's address changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from feedgen.feed import FeedGenerator

from innovation.domain.releases import Bundle

FEED_NAMESPACE = uuid.UUID("0b7f5b8e-3f0c-4d9a-8f52-6a1f1f0e9c3d")
AUTHOR = "Innovation pipeline"


@dataclass(frozen=True)
class FeedEntry:
    period: str
    published_at: datetime
    headline: str
    summary_html: str


def entry_id(period: str) -> str:
    return f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, f'release/{period}')}"


def with_key(url: str, key: str | None) -> str:
    """An address carrying the reader's feed key (feed readers cannot send a header)."""
    return f"{url}?{urlencode({'key': key})}" if key else url


def render_feed(entries: Sequence[FeedEntry], *, base_url: str, key: str | None) -> bytes:
    """The feed document; ``entries`` newest first, ``base_url`` without a trailing slash."""
    generator = FeedGenerator()
    generator.id(f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, 'releases')}")
    generator.title("Innovation releases")
    generator.subtitle("What shipped each period, what it measurably changed, what was stopped.")
    generator.author({"name": AUTHOR})
    generator.link(href=with_key(f"{base_url}/releases.atom", key), rel="self")
    generator.link(href=with_key(f"{base_url}/releases", key), rel="alternate")
    generator.language("en")
    generator.generator("innovation")
    if entries:
        generator.updated(max(entry.published_at for entry in entries))
    else:
        generator.updated(datetime.fromtimestamp(0).astimezone())
    for entry in reversed(entries):  # feedgen prepends: add oldest first
        item = generator.add_entry()
        item.id(entry_id(entry.period))
        item.title(f"Release {entry.period}")
        item.updated(entry.published_at)
        item.published(entry.published_at)
        item.author({"name": AUTHOR})
        item.link(href=with_key(f"{base_url}/releases/{entry.period}", key), rel="alternate")
        item.summary(entry.headline)
        item.content(entry.summary_html, type="html")
    return generator.atom_str(pretty=True)


def summary_html(bundle: Bundle) -> str:
    """A feed entry's content: what shipped and what was stopped, in a few lines of HTML."""
    shipped = "".join(
        f"<li>{escape(item.title)} ({escape(item.organisation)}, {escape(item.country)})</li>"
        for item in bundle.items
    )
    stopped = "".join(
        f"<li>{escape(item.title)}: {escape(item.reason)}</li>" for item in bundle.stopped
    )
    parts = [f"<p>Shipped: {len(bundle.items)}</p>"]
    if shipped:
        parts.append(f"<ul>{shipped}</ul>")
    parts.append(f"<p>Stopped: {len(bundle.stopped)}</p>")
    if stopped:
        parts.append(f"<ul>{stopped}</ul>")
    return "".join(parts)
