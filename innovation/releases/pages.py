"""The executives' pages: every release, newest first, and one release's printable digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from innovation.releases.digest import UTC_ZONE, environment, local_day
from innovation.releases.feed import with_key


@dataclass(frozen=True)
class Listed:
    period: str
    published_at: datetime
    headline: str
    url: str


def releases_page(
    releases: Sequence[tuple[str, datetime, str]],
    *,
    base_url: str,
    key: str | None,
    zone: ZoneInfo = UTC_ZONE,
) -> str:
    """``releases`` as (period, published at, headline), newest first; dates in ``zone``."""
    listed = [
        Listed(period, published_at, headline, with_key(f"{base_url}/releases/{period}", key))
        for period, published_at, headline in releases
    ]
    return (
        environment()
        .get_template("releases.html")
        .render(
            releases=listed,
            feed_url=with_key(f"{base_url}/releases.atom", key),
            day=partial(local_day, zone=zone),
        )
    )
