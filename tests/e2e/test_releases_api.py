"""Releases as executives and leads reach them: GraphQL, pages, the Atom feed, feed keys."""

from __future__ import annotations

import asyncio
import gzip
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any, NamedTuple

import httpx
import pytest
from markupsafe import escape

import innovation.projections.releases as views
import innovation.releases.digest as digest_module
import innovation.releases.documents as documents
import innovation.releases.service as service
from innovation.domain.ideas import (
    OverrideValidation,
    RecordEthicsReview,
    RequestEthicsReview,
    ReviseIdea,
)
from innovation.domain.periods import Cadence
from innovation.domain.values import Verdict
from innovation.store import Database
from innovation.tokens import authenticate, feed_key_of, revoke_token
from tests.e2e.conftest import Api
from tests.integration.world import ETHICS, FakeClock, World

AFTER_H1 = datetime(2024, 7, 2, 9, 0, tzinfo=UTC)
ASSEMBLE = """
mutation($period: String!) {
  assembleRelease(input: {period: $period}) {
    release { period items { title metrics { name } } figures { scouted externalShare } }
    errors { code message field }
  }
}
"""


async def validated(world: World, title: str, **submit: object) -> str:
    idea_id = await world.submit(title=title, **submit)
    await world.screen(idea_id)
    await world.run(OverrideValidation(idea_id=idea_id, reason="Proven at an affiliate already."))
    return idea_id


@pytest.fixture
async def semester(world: World, clock: FakeClock) -> dict[str, str]:
    shipped = await validated(world, "Alarm triage for the network centre")
    blocked = await validated(world, "Voice bot that answers customers", uses_ai=True)
    clock.now = AFTER_H1
    return {"shipped": shipped, "blocked": blocked}


async def feed_key(database: Database, secret: str) -> str:
    principal = await database.read(partial(authenticate, secret=secret))
    key = await database.read(partial(feed_key_of, token_id=principal.token_id))
    assert key is not None
    return key


class Released(NamedTuple):
    """The feed keys of the executive and the lead, who read 2024-H1 once it is assembled."""

    executive: str
    lead: str


@pytest.fixture
async def released(api: Api, tokens: dict[str, str], database: Database, semester) -> Released:
    """2024-H1 assembled, and the feed keys of those who read it."""
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    return Released(
        await feed_key(database, tokens["executive"]), await feed_key(database, tokens["lead"])
    )


def spied(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, note: Callable[..., Any]
) -> list[Any]:
    """``note(*arguments)`` of every call of ``owner.name`` from now on; each call still made."""
    noted: list[Any] = []
    work = getattr(owner, name)

    def spy(*args: Any, **options: Any) -> Any:
        noted.append(note(*args, **options))
        return work(*args, **options)

    monkeypatch.setattr(owner, name, spy)
    return noted


async def as_sent(
    client: httpx.AsyncClient, path: str, key: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx would ask for gzip and decode it)."""
    request = client.build_request("GET", path, params={"key": key})
    request.headers.pop("accept-encoding", None)
    request.headers.update(headers)
    response = await client.send(request, stream=True)
    return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_lead_assembles_a_period_and_again_changes_nothing(api: Api, semester):
    first = await api.data(ASSEMBLE, {"period": "2024-H1"})
    again = await api.data(ASSEMBLE, {"period": "2024-H1"})

    release = first["assembleRelease"]["release"]
    assert [item["title"] for item in release["items"]] == ["Alarm triage for the network centre"]
    assert first["assembleRelease"]["errors"] == []
    assert again["assembleRelease"] == first["assembleRelease"]


@pytest.mark.parametrize(
    ("period", "says"),
    [("2024-H2", "not over yet"), ("2024-Q1", "not a period of this cadence"), ("H1", "like")],
)
async def test_a_period_not_over_or_not_well_named_is_refused_naming_the_field(
    api: Api, semester, period: str, says: str
):
    payload = (await api.data(ASSEMBLE, {"period": period}))["assembleRelease"]

    assert payload["release"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "period")
    assert says in error["message"]


async def test_an_executive_reads_the_last_release_with_its_figures_and_digest(api: Api, semester):
    await api.data(ASSEMBLE, {"period": "2024-H1"})

    data = await api.data(
        """{ releases(first: 1) { edges { cursor node { period
               figures { scouted external reached { key count } conversion { fromStage rate } }
               stopped { title } digest { headline markdown html } } } } }""",
        as_="executive",
    )

    [edge] = data["releases"]["edges"]
    release = edge["node"]
    assert edge["cursor"] == release["period"] == "2024-H1"
    assert release["figures"]["scouted"] == 2
    assert release["digest"]["headline"].startswith("1 idea shipped in 2024-H1")
    assert "Alarm triage" in release["digest"]["markdown"]
    assert release["digest"]["html"].count("<svg") == 3


async def test_next_release_says_what_blocks_each_idea(api: Api, world: World, semester):
    data = await api.data(
        "{ nextRelease { period daysLeft candidates { title } blocked { title reason } } }"
    )

    upcoming = data["nextRelease"]
    assert upcoming["period"] == "2024-H2"
    assert upcoming["daysLeft"] > 150
    assert [c["title"] for c in upcoming["candidates"]] == ["Alarm triage for the network centre"]
    assert upcoming["blocked"] == [
        {"title": "Voice bot that answers customers", "reason": "REQUIRED"}
    ]

    await world.run(RequestEthicsReview(idea_id=semester["blocked"]))
    await world.run(
        RecordEthicsReview(
            idea_id=semester["blocked"], verdict=Verdict.APPROVED, reviewers=("council",)
        ),
        ETHICS,
    )
    after = await api.data("{ nextRelease { candidates { title } blocked { title } } }")
    assert len(after["nextRelease"]["candidates"]) == 2
    assert after["nextRelease"]["blocked"] == []


async def test_next_release_asked_again_shows_each_candidate_as_it_now_stands(
    api: Api, world: World, semester
):
    """Answers keep the candidates no write reached (``api.releases._Shown``): one revised
    between two questions shows its new title, one approved joins them, the other stays."""
    query = "{ nextRelease { candidates { title organisation metrics { name observed } } } }"
    before = (await api.data(query))["nextRelease"]["candidates"]
    await world.run(ReviseIdea(idea_id=semester["shipped"], title="Alarm triage, now nationwide"))
    await world.run(RequestEthicsReview(idea_id=semester["blocked"]))
    await world.run(
        RecordEthicsReview(
            idea_id=semester["blocked"], verdict=Verdict.APPROVED, reviewers=("council",)
        ),
        ETHICS,
    )
    after = (await api.data(query))["nextRelease"]["candidates"]
    again = (await api.data(query))["nextRelease"]["candidates"]

    assert [c["title"] for c in before] == ["Alarm triage for the network centre"]
    assert sorted(c["title"] for c in after) == [
        "Alarm triage, now nationwide",
        "Voice bot that answers customers",
    ]
    [revised] = [c for c in after if c["title"] == "Alarm triage, now nationwide"]
    assert {**revised, "title": None} == {**before[0], "title": None}
    assert again == after


async def test_next_release_shows_as_many_blocked_ideas_as_asked_the_earliest_scouted_first(
    api: Api, world: World, clock: FakeClock, semester
):
    for day, title in ((3, "Fibre fault finder from a lab"), (4, "Roaming fraud alarms")):
        clock.now = AFTER_H1.replace(day=day)
        await world.screen(await world.submit(title=title))  # screening: not validated

    data = await api.data(
        """{ nextRelease { blockedCount
             two: blocked(first: 2) { title reason } none: blocked(first: 0) { title }
             all: blocked { title } } }"""
    )
    refused = await api("{ nextRelease { blocked(first: -1) { title } } }")

    upcoming = data["nextRelease"]
    assert upcoming["blockedCount"] == 3
    assert upcoming["two"] == [
        {"title": "Voice bot that answers customers", "reason": "REQUIRED"},
        {"title": "Fibre fault finder from a lab", "reason": "NOT_VALIDATED"},
    ]
    assert upcoming["none"] == []
    assert [idea["title"] for idea in upcoming["all"]] == [
        "Voice bot that answers customers",
        "Fibre fault finder from a lab",
        "Roaming fraud alarms",
    ]
    [error] = refused["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "first",
    )


async def test_the_next_period_alone_is_answered_without_assembling_it(
    api: Api, semester, monkeypatch: pytest.MonkeyPatch
):
    async def assembled(*_: object, **__: object) -> None:
        raise AssertionError("assembled a period nobody asked the candidates of")

    monkeypatch.setattr(service.Releases, "_fold", assembled)  # the pass over the log

    data = await api.data("{ nextRelease { period closesAt daysLeft } }")
    fragment = await api.data(
        "{ nextRelease { ...when } } fragment when on NextRelease { period daysLeft }"
    )

    assert data["nextRelease"]["period"] == "2024-H2"
    assert data["nextRelease"]["closesAt"] == "2024-12-31T23:00:00+00:00"
    assert data["nextRelease"]["daysLeft"] > 150
    assert fragment == {
        "nextRelease": {"period": "2024-H2", "daysLeft": data["nextRelease"]["daysLeft"]}
    }
    refused = await api.post("{ nextRelease { period candidates { title } } }")
    assert "assembled a period" not in refused.text  # asked for: assembled (and failed here)
    assert refused.json()["errors"]


def bundles_read(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each release row read from now on holds its bundle, in the order read."""
    read: list[bool] = []
    row_to_view = views._release
    monkeypatch.setattr(
        views, "_release", lambda row: read.append("bundle" in row._mapping) or row_to_view(row)
    )
    return read


async def test_releases_read_and_decode_only_the_bundles_asked_for(
    api: Api, semester, monkeypatch: pytest.MonkeyPatch
):
    """A semester's bundle is megabytes: a list asking for periods and dates is answered from
    the rows' other columns (80 ms for three releases at the bench's scale when every bundle
    was read and decoded), and the same fields equal the bundle's."""
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    decoded: list[bytes] = []
    decode = views._bundles.decode
    monkeypatch.setattr(
        views, "_bundles", SimpleNamespace(decode=lambda b: decoded.append(b) or decode(b))
    )
    read = bundles_read(monkeypatch)
    dates = "period startsAt endsAt cutoff publishedAt publishedBy"

    listed = await api.data(f"{{ releases(first: 5) {{ edges {{ node {{ {dates} }} }} }} }}")
    one = await api.data(f'{{ release(period: "2024-H1") {{ {dates} }} }}')
    assert (read, decoded) == ([False, False], [])
    parts = f"{dates} items {{ title }} figures {{ scouted }}"
    whole = await api.data(f"{{ releases(first: 5) {{ edges {{ node {{ {parts} }} }} }} }}")
    fragment = await api.data(
        '{ release(period: "2024-H1") { ...parts } }'
        + " fragment parts on Release { stopped { title } }"
    )
    assert read == [False, False, True, True]
    assert fragment == {"release": {"stopped": []}}

    [edge] = listed["releases"]["edges"]
    assert edge["node"] == one["release"]
    assert edge["node"]["startsAt"] == "2023-12-31T23:00:00+00:00"
    [node] = [edge["node"] for edge in whole["releases"]["edges"]]
    assert {key: node[key] for key in edge["node"]} == edge["node"]
    assert [item["title"] for item in node["items"]] == ["Alarm triage for the network centre"]
    assert len(decoded) == 2  # once a release read, however many of its parts are asked


async def test_a_releases_figures_are_read_without_its_bundle_and_are_the_bundles(
    api: Api, semester, app_services, monkeypatch: pytest.MonkeyPatch
):
    """An executive's overview asks for the figures of each semester: they are kept apart from
    the bundle (3.2 MB at the bench's scale, read and decoded in 6.9 ms for its figures), and
    are the bundle's own."""
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    read = bundles_read(monkeypatch)
    figures = "figures { scouted external externalShare byTheme { key count } reached { key } }"

    listed = await api.data(f"{{ releases(first: 5) {{ edges {{ node {{ {figures} }} }} }} }}")
    one = await api.data(f'{{ release(period: "2024-H1") {{ {figures} items {{ title }} }} }}')

    assert read == [False, True]
    [edge] = listed["releases"]["edges"]
    assert edge["node"]["figures"] == one["release"]["figures"]
    assert edge["node"]["figures"]["scouted"] >= 1
    view = await app_services.releases.release("2024-H1")
    assert view.figures == view.bundle.figures


async def test_pages_and_feed_open_with_a_token_or_its_feed_key_and_nothing_else(
    api: Api, client: httpx.AsyncClient, tokens: dict[str, str], database: Database, semester
):
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    key = await feed_key(database, tokens["executive"])
    bearer = {"Authorization": f"Bearer {tokens['executive']}"}

    index = await client.get("/releases", params={"key": key})
    page = await client.get("/releases/2024-H1", params={"key": key})
    feed = await client.get("/releases.atom", params={"key": key})
    with_token = await client.get("/releases/2024-H1", headers=bearer)

    assert index.status_code == page.status_code == feed.status_code == 200
    assert f"/releases/2024-H1?key={key}" in index.text
    assert "Alarm triage for the network centre" in page.text
    assert page.text.count("<svg") == 3
    assert with_token.status_code == 200
    listed_for_bearer = await client.get("/releases", headers=bearer)
    assert f"/releases/2024-H1?key={key}" in listed_for_bearer.text, (
        "a bearer's links carry its key"
    )
    assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert (
        index.headers["content-type"]
        == page.headers["content-type"]
        == ("text/html; charset=utf-8")
    )
    entries = ET.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1
    # the index and the feed say what the digest's headline says
    headline = (await api.data('{ release(period: "2024-H1") { digest { headline } } }'))[
        "release"
    ]["digest"]["headline"]
    assert str(escape(headline)) in index.text  # as the page's templates escape it
    assert entries[0].findtext("{http://www.w3.org/2005/Atom}summary") == headline
    # the key opens these pages and nothing else
    graphql = await client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert graphql.status_code == 401
    assert (await client.get("/releases")).status_code == 401
    assert (await client.get("/releases", params={"key": key + "x"})).status_code == 401


async def test_revoking_a_token_revokes_its_feed_key(
    api: Api, client: httpx.AsyncClient, tokens: dict[str, str], database: Database, semester
):
    key = await feed_key(database, tokens["executive"])
    assert (await client.get("/releases", params={"key": key})).status_code == 200

    await database.write(partial(revoke_token, which="executive", now=AFTER_H1))

    assert (await client.get("/releases", params={"key": key})).status_code == 401


async def test_an_unknown_or_malformed_period_page_is_404_or_400(
    client: httpx.AsyncClient, tokens: dict[str, str], semester
):
    bearer = {"Authorization": f"Bearer {tokens['lead']}"}

    assert (await client.get("/releases/2030-H1", headers=bearer)).status_code == 404
    assert (await client.get("/releases/2030-X9", headers=bearer)).status_code == 400
    # PostgreSQL's text holds no NUL: asked for, it would fail the lookup, not find nothing
    assert (await client.get("/releases/2024-H1%00", headers=bearer)).status_code == 400


async def test_releases_of_an_earlier_cadence_stay_readable_after_it_changes(
    api: Api, client: httpx.AsyncClient, tokens: dict[str, str], app_services, semester
):
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    app_services.releases.cadence = Cadence(3)  # restarted with quarterly releases
    bearer = {"Authorization": f"Bearer {tokens['lead']}"}

    page = await client.get("/releases/2024-H1", headers=bearer)
    older = await api.data('{ releases(first: 1, after: "2024-H1") { edges { node { period } } } }')
    newer = await api.data('{ releases(last: 1, before: "2024-H1") { edges { node { period } } } }')
    shown = await api.data('{ release(period: "2024-H1") { period } }')
    overlapping = (await api.data(ASSEMBLE, {"period": "2024-Q2"}))["assembleRelease"]

    assert page.status_code == 200
    assert older == {"releases": {"edges": []}}
    assert newer == {"releases": {"edges": []}}
    assert shown == {"release": {"period": "2024-H1"}}
    assert overlapping["release"] is None
    [error] = overlapping["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "period")
    assert "2024-Q2 was released already, within release 2024-H1" in error["message"]


async def test_release_is_null_for_a_period_without_one_and_refuses_what_is_no_period(
    api: Api, semester
):
    query = "query($period: String!) { release(period: $period) { period } }"

    unreleased = await api.data(query, {"period": "2030-H1"})
    malformed = await api(query, {"period": "2030-X9"})
    beyond = await api(query, {"period": "2030-H3"})
    unstorable = await api(query, {"period": "2024-H1\x00"})

    assert unreleased == {"release": None}
    for refused in (malformed, beyond, unstorable):
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "period"
    assert "write it like '2026-H2'" in malformed["errors"][0]["message"]
    assert "periods 1 to 2" in beyond["errors"][0]["message"]


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_a_browser_is_refused_with_a_page_and_any_other_client_with_json(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database, semester
):
    key = await feed_key(database, tokens["executive"])

    missing = await client.get("/releases/2030-H1", params={"key": key}, headers=BROWSER)
    malformed = await client.get("/releases/2030-X9", params={"key": key}, headers=BROWSER)
    no_key = await client.get("/releases", headers=BROWSER)
    await database.write(partial(revoke_token, which="executive", now=AFTER_H1))
    revoked = await client.get("/releases/2030-H1", params={"key": key}, headers=BROWSER)
    as_json = await client.get("/releases/2030-H1", params={"key": key + "x"})

    assert [r.status_code for r in (missing, malformed, no_key, revoked)] == [404, 400, 401, 401]
    for page in (missing, malformed, no_key, revoked):
        assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>No such release</h1>" in missing.text
    assert "no release for 2030-H1 (yet)" in missing.text
    assert f'href="/releases?key={key}"' in missing.text  # back to the index, key kept
    assert "<h1>Not a period</h1>" in malformed.text
    assert "write it like" in malformed.text  # the cadence's own words on how to write one
    assert "<h1>The releases need a key</h1>" in no_key.text
    assert "<h1>This link no longer opens the releases</h1>" in revoked.text
    assert revoked.headers["www-authenticate"] == 'Bearer realm="innovation"'
    assert "/releases?key" not in revoked.text  # a dead key is not handed on
    assert as_json.status_code == 401
    assert as_json.json() == {
        "status_code": 401,
        "detail": "a valid token (Authorization: Bearer) or feed key (?key=) is required",
    }
    assert as_json.headers["www-authenticate"] == 'Bearer realm="innovation"'


async def test_a_release_page_is_rendered_once_for_every_reader_and_kept(
    client: httpx.AsyncClient, released: Released, monkeypatch
):
    executive, lead = released
    rendered = spied(monkeypatch, documents, "render_page", lambda bundle, **_: bundle.period)
    whole_digests: list[object] = []
    monkeypatch.setattr(documents, "render", lambda *a, **k: whole_digests.append(a))
    bundles_read = spied(monkeypatch, views, "release", lambda _, period, **__: period)

    pages = [
        await client.get("/releases/2024-H1", params={"key": key})
        for key in (executive, executive, lead, executive)
    ]

    assert [page.status_code for page in pages] == [200] * 4
    assert pages[0].text == pages[1].text == pages[2].text == pages[3].text
    assert rendered == ["2024-H1"], "one page for every reader: it carries no reader's key"
    assert whole_digests == [], "a page view renders neither the e-mail's page nor the Markdown"
    assert bundles_read == ["2024-H1"], "a kept page is found by position alone"
    assert executive not in pages[0].text
    assert lead not in pages[0].text


async def test_pages_digests_and_feeds_render_off_the_event_loop_once_for_those_asking_together(
    client: httpx.AsyncClient, released: Released, app_services, monkeypatch
):
    """A semester's first page took the event loop for a second on the bench's data set: the
    page, its charts, a digest and a feed are made (and compressed) in the renderer's thread,
    and readers asking for one together wait for a single rendering."""
    executive, lead = released
    loop_thread = threading.current_thread()
    where: list[tuple[str, bool]] = []

    def watched(name: str, work):  # noqa: ANN001, ANN202
        def run(*args, **options):  # noqa: ANN002, ANN003, ANN202
            where.append((name, threading.current_thread() is loop_thread))
            return work(*args, **options)

        return run

    for name in ("render_page", "draw", "render", "render_feed"):
        monkeypatch.setattr(documents, name, watched(name, getattr(documents, name)))
    monkeypatch.setattr(digest_module, "_compressed", watched("gzip", digest_module._compressed))

    pages = await asyncio.gather(
        *(
            client.get("/releases/2024-H1", params={"key": key})
            for key in (executive, lead, executive)
        )
    )
    docs = app_services.documents
    view = await app_services.releases.release("2024-H1")
    digests = await asyncio.gather(docs.digest(view), docs.digest(view))
    feed = await client.get("/releases.atom", params={"key": lead})

    assert [page.status_code for page in pages] == [200] * 3
    assert pages[0].text == pages[1].text == pages[2].text
    assert digests[0] is digests[1]
    assert feed.status_code == 200
    assert where == [
        ("draw", False),  # the page's charts, as SVG
        ("render_page", False),
        ("gzip", False),  # the page as it goes out to browsers
        ("draw", False),  # again with their PNGs, for the digest
        ("render", False),
        ("render_feed", False),
        ("gzip", False),  # the reader's copy of the feed
    ]


async def test_a_readers_letter_is_rendered_for_its_email_without_the_page_and_not_kept(
    api: Api, tokens: dict[str, str], database: Database, semester, app_services, monkeypatch
):
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    digests = spied(monkeypatch, documents, "render", lambda _, **options: options.get("page_url"))
    letters = spied(
        monkeypatch, documents, "render_letter", lambda _, **options: options["page_url"]
    )
    executive = await feed_key(database, tokens["executive"])
    docs = app_services.documents
    view = await app_services.releases.release("2024-H1")

    keyless = [await docs.digest(view), await docs.letter(view, key=None)]
    keyed = [await docs.letter(view, key=executive) for _ in range(2)]

    assert keyless[0] is keyless[1], "without a key, the kept digest"
    assert keyed[0] == keyed[1]
    assert f"?key={executive}" in keyed[0].email_html
    assert f"?key={executive}" not in keyless[0].email_html
    assert digests == [None], "the keyless digest once"
    assert len(letters) == 2, "the executive's letter each time it is sent"
    assert letters[0] == letters[1] is not None
    assert not hasattr(keyed[0], "html"), "an e-mail carries no web page"


async def test_a_page_draws_its_charts_as_svg_alone_and_a_digest_after_it_has_its_pngs(
    client: httpx.AsyncClient, released: Released, app_services, monkeypatch
):
    executive, lead = released
    draw = documents.draw
    drawn = spied(monkeypatch, documents, "draw", lambda _, *, png=True: png)

    page = await client.get("/releases/2024-H1", params={"key": executive})
    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    assert drawn == [False], "a page shows the charts as SVG: no PNG encoded for it"

    docs = app_services.documents
    view = await app_services.releases.release("2024-H1")
    digest = await docs.letter(view, key=executive)
    assert drawn == [False, True], "the e-mail's digest draws them again, with their PNGs"
    assert [chart.png[:4] for chart in digest.charts] == [b"\x89PNG"] * 3
    assert [chart.svg for chart in digest.charts] == [
        chart.svg for chart in draw(view.bundle, png=False)
    ]

    await docs.digest(view)
    other = await client.get("/releases/2024-H1", params={"key": lead})
    assert other.status_code == 200
    assert drawn == [False, True], "charts with their PNGs serve the digests after"


async def test_a_release_page_goes_out_compressed_to_browsers_and_unchanged_is_not_resent(
    api: Api, client: httpx.AsyncClient, tokens: dict[str, str], database: Database, semester
):
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    key = await feed_key(database, tokens["executive"])

    page = partial(as_sent, client, "/releases/2024-H1", key)

    plain, html = await page()
    browser, compressed = await page(**{"Accept-Encoding": "gzip, deflate, br"})
    refused, _ = await page(**{"Accept-Encoding": "gzip;q=0, *;q=1"})
    through_any, _ = await page(**{"Accept-Encoding": "*"})

    assert "content-encoding" not in plain.headers
    assert b"Alarm triage for the network centre" in html
    assert browser.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed) == html
    assert len(compressed) < len(html) / 3
    assert "content-encoding" not in refused.headers, "gzip;q=0 refuses gzip"
    assert through_any.headers["content-encoding"] == "gzip"
    for response in (plain, browser):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["cache-control"] == "private, no-cache"
    assert plain.headers["etag"] != browser.headers["etag"], "one tag per representation"

    again, unsent = await page(**{"If-None-Match": plain.headers["etag"]})
    again_compressed, unsent_compressed = await page(
        **{"Accept-Encoding": "gzip", "If-None-Match": f'W/"x", {browser.headers["etag"]}'}
    )
    crossed, resent = await page(**{"If-None-Match": browser.headers["etag"]})
    stranger = await client.get(
        "/releases/2024-H1", headers={"If-None-Match": plain.headers["etag"]}
    )

    assert again.status_code == again_compressed.status_code == 304
    assert unsent == unsent_compressed == b""
    assert again.headers["etag"] == plain.headers["etag"]
    assert crossed.status_code == 200, "the compressed page's tag does not stand for the plain one"
    assert resent == html
    assert stranger.status_code == 401, "a tag opens nothing without a token or feed key"


async def test_the_feed_is_rendered_once_for_every_reader_and_each_copy_carries_its_readers_key(
    client: httpx.AsyncClient, released: Released, app_services, monkeypatch
):
    executive, lead = released
    rendered = spied(monkeypatch, documents, "render_feed", lambda _, **options: options["key"])
    atom = "{http://www.w3.org/2005/Atom}"

    feeds = {key: await as_sent(client, "/releases.atom", key) for key in (executive, lead)}

    assert len(rendered) == 1, "one rendering for every reader"
    assert executive != rendered[0] != lead
    for key, (_, document) in feeds.items():
        links = [link.get("href") for link in ET.fromstring(document).iter(f"{atom}link")]
        assert len(links) == 3
        assert all(link.endswith(f"?key={key}") for link in links), links
        assert rendered[0].encode() not in document
    (_, for_executive), (_, for_lead) = feeds.values()
    assert for_lead.replace(lead.encode(), executive.encode()) == for_executive
    # another process, rendering with a mark of its own, tags the same copy alike
    elsewhere = documents.Documents(
        app_services.releases, public_url=app_services.documents.public_url
    )
    try:
        copy = await elsewhere.listing("feed", key=executive)
    finally:
        await elsewhere.close()
    assert copy.body == for_executive
    assert copy.etag == feeds[executive][0].headers["etag"]
    assert gzip.decompress(copy.gzipped) == for_executive


async def test_the_index_and_feed_are_kept_until_a_release_is_added_and_resent_only_changed(
    api: Api,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    database: Database,
    clock: FakeClock,
    semester,
    monkeypatch,
):
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    bundles_read: list[int] = []
    read_releases = views.releases

    def counting_reads(connection, **options):  # noqa: ANN001, ANN003, ANN202
        found = read_releases(connection, **options)
        bundles_read.append(len(found))
        return found

    monkeypatch.setattr(views, "releases", counting_reads)
    executive = await feed_key(database, tokens["executive"])
    lead = await feed_key(database, tokens["lead"])

    get = partial(as_sent, client)

    feed, document = await get("/releases.atom", executive)
    feed_again, again = await get("/releases.atom", executive)
    compressed, packed = await get("/releases.atom", executive, **{"Accept-Encoding": "gzip"})
    unchanged, unsent = await get(
        "/releases.atom", executive, **{"If-None-Match": feed.headers["etag"]}
    )
    index, page = await get("/releases", executive)
    for_lead, lead_page = await get("/releases", lead)

    assert document == again
    assert gzip.decompress(packed) == document
    assert compressed.headers["content-encoding"] == "gzip"
    assert feed.headers["etag"] == feed_again.headers["etag"] != compressed.headers["etag"]
    assert feed.headers["vary"] == index.headers["vary"] == "Accept-Encoding"
    assert (unchanged.status_code, unsent) == (304, b"")
    assert f"key={lead}".encode() in lead_page
    assert f"key={lead}".encode() not in page
    assert index.headers["etag"] != for_lead.headers["etag"], "each reader's links, its own tag"
    assert bundles_read == [1, 1], "the feed once, the index once for every reader"

    clock.now = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    await api.data(ASSEMBLE, {"period": "2024-H2"})
    changed, renewed = await get(
        "/releases.atom", executive, **{"If-None-Match": feed.headers["etag"]}
    )

    assert changed.status_code == 200, "a release added since: the tag no longer matches"
    assert changed.headers["etag"] != feed.headers["etag"]
    entries = ET.fromstring(renewed).findall("{http://www.w3.org/2005/Atom}entry")
    assert [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in entries] == [
        "Release 2024-H2",
        "Release 2024-H1",
    ]
