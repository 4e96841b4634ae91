"""An executive opens a release from the link in the digest e-mail: items and charts render."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser

from innovation.services import Actor
from innovation.store import Database
from innovation.tokens import authenticate, feed_key_of
from tests.helpers import ROOT
from tests.integration.world import FakeClock, World

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / ".test-artifacts"
LEAD = Actor("lead:lea", "lead")


async def test_the_release_page_shows_the_items_and_draws_every_chart(
    browser: Browser,
    live_server: str,
    tokens: dict[str, str],
    world: World,
    clock: FakeClock,
    database: Database,
):
    await world.validated_idea(title="Alarm triage for the network operations centre")
    await world.services.releases.assemble("2024-H1", actor=LEAD, now=clock.now.replace(month=7))
    principal = await database.read(partial(authenticate, secret=tokens["executive"]))
    key = await database.read(partial(feed_key_of, token_id=principal.token_id))
    page = await (await browser.new_context(viewport={"width": 1100, "height": 900})).new_page()
    leaving: list[str] = []
    page.on(
        "request",
        lambda r: leaving.append(r.url) if urlsplit(r.url).hostname != "127.0.0.1" else None,
    )

    response = await page.goto(f"{live_server}/releases/2024-H1?key={key}")

    assert response is not None
    assert response.status == 200
    assert await page.locator("h1").inner_text() == "Release 2024-H1"
    items = page.locator("#shipped article h3")
    assert await items.all_inner_texts() == ["Alarm triage for the network operations centre"]
    assert await page.locator("#shipped table tbody tr").count() == 2  # its two metrics
    charts = page.locator("figure.chart svg")
    assert await charts.count() == 3
    for index in range(3):
        box = await charts.nth(index).bounding_box()
        assert box is not None
        assert box["width"] > 200, box
        assert box["height"] > 80, box
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "release-page.png"), full_page=True)
    assert (ARTIFACTS / "release-page.png").stat().st_size > 10_000
    assert leaving == []
