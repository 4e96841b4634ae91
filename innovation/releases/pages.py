"""The executives' pages: every release, newest first, and one release's printable digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from innovation.releases.digest import environment
from innovation.releases.feed import with_key


@dataclass(frozen=True)
class Listed:
    period: str
    published_at: datetime
    headline: str
    url: str


def releases_page(
    releases: Sequence[tuple[str, datetime, str]], *, base_url: str, key: str | None
) -> str:
    """``releases`` as (period, published at, headline), newest first."""
    listed = [
        Listed(period, published_at, headline, with_key(f"{base_url}/releases/{period}", key))
        for period, published_at, headline in releases
    ]
    return (
        environment()
        .get_template("releases.html")
        .render(releases=listed, feed_url=with_key(f"{base_url}/releases.atom", key))
    )
