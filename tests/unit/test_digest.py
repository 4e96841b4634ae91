"""The digest: a pure rendering of a bundle, with charts, and user text always escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from innovation.domain import ideas as idea
from innovation.releases import charts
from innovation.releases import digest as digest_module
from innovation.releases.charts import draw
from innovation.releases.digest import headline, render, render_letter, render_page
from tests.unit.domain.release_history import Log, assembled, day


def semester() -> Log:
    log = Log()
    log.submit("alarms", day(1, 10), country="BE")
    log.screen("alarms", day(1, 20))
    log.validate_by_experiment("alarms", day(2, 1), day(4, 1), observed=290.0)
    log.submit("speaker", day(1, 12), country="FR")
    log.screen("speaker", day(1, 22))
    log.add(
        "idea-speaker",
        day(3, 3),
        idea.IdeaRejected(idea_id="speaker", reason="Few customers talked to the speaker."),
    )
    return log


def test_the_headline_says_how_many_shipped_the_biggest_change_and_the_external_share():
    bundle = assembled(semester()).bundle

    sentence = headline(bundle).sentence(bundle.period)

    assert sentence.startswith("1 idea shipped in 2026-H1")
    assert "-67.8% in daily alarms (Idea alarms)" in sentence
    assert "100% of the ideas scouted in 2026-H1 came from outside" in sentence


@pytest.mark.parametrize("page_url", [None, "https://example.org/releases/2026-H1?key=fk_1"])
def test_a_page_rendered_alone_is_the_digests_page(page_url: str | None):
    """What a page view renders (``render_page``) is the digest's ``html``, byte for byte,
    without the e-mail's page or the Markdown, whichever page address the digest links to:
    one page serves every reader."""
    bundle = assembled(semester()).bundle
    drawn = tuple(draw(bundle))
    zone = ZoneInfo("Europe/Paris")

    alone = render_page(bundle, charts=drawn, zone=zone)

    assert alone == render(bundle, page_url=page_url, charts=drawn, zone=zone).html
    assert alone.count("<svg") == 3


def test_a_letter_is_the_digests_email_without_its_web_page(monkeypatch: pytest.MonkeyPatch):
    """What a reader's e-mail is made of (``render_letter``) is the digest's, part for part,
    and its web page is not rendered for it."""
    bundle = assembled(semester()).bundle
    drawn = tuple(draw(bundle))
    zone = ZoneInfo("Europe/Paris")
    page_url = "https://example.org/releases/2026-H1?key=fk_1"
    digest = render(bundle, page_url=page_url, charts=drawn, zone=zone)
    pictured: list[str] = []
    html = digest_module._html
    monkeypatch.setattr(
        digest_module,
        "_html",
        lambda context, images: pictured.append(images) or html(context, images),
    )

    letter = render_letter(bundle, page_url=page_url, charts=drawn, zone=zone)

    assert pictured == ["cid"], "only the e-mail's page is rendered"
    assert not hasattr(letter, "html")
    for part in ("period", "headline", "subject", "markdown", "email_html", "charts"):
        assert getattr(letter, part) == getattr(digest, part), part
    assert page_url in letter.markdown


def test_the_digest_lists_shipped_items_with_metrics_and_stopped_ideas_with_reasons():
    digest = render(assembled(semester()).bundle, page_url="https://example.org/releases/2026-H1")

    for text in (digest.markdown, digest.html):
        assert "Idea alarms" in text
        assert "900" in text
        assert "290" in text
        assert "-67.8%" in text
        assert "Few customers talked to the speaker" in text
        assert "Pipeline health" in text
        assert "of the ideas that left a stage" in text  # what the conversion rates mean
    assert "(https://example.org/releases/2026-H1)" in digest.markdown
    # the Markdown (the e-mail's text) has the HTML's columns, the target among them
    assert "| daily alarms (alarms) | 900 | 290 | -67.8% | 300 | yes |" in digest.markdown
    assert digest.html.count("<svg") == 3
    assert digest.email_html.count('src="cid:') == 3
    assert "<svg" not in digest.email_html


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("Proven at a sister affiliate.", "“Proven at a sister affiliate.”</"),
        ("Proven at a sister affiliate", "“Proven at a sister affiliate”.</"),
        ("Is it not proven already?", "“Is it not proven already?”</"),
    ],
)
def test_a_quoted_override_reason_ends_its_sentence_once(reason: str, sentence: str):
    log = Log()
    log.submit("x", day(1, 10))
    log.screen("x", day(1, 11))
    log.override("x", day(2, 1), reason=reason)

    digest = render(assembled(log).bundle)

    assert sentence in digest.html
    assert sentence.removesuffix("</") + "\n" in digest.markdown


def test_text_from_users_is_escaped_in_html_and_markdown():
    log = Log()
    log.submit("x", day(1, 10))
    log.add(
        "idea-x",
        day(2, 1),
        idea.IdeaRejected(idea_id="x", reason='"><script>alert(1)</script> [link](javascript:x)'),
    )

    digest = render(assembled(log).bundle)

    assert "<script>" not in digest.html
    assert "&lt;script&gt;" in digest.html
    assert "<script>" not in digest.markdown
    assert "\\[link\\](javascript:x)" in digest.markdown


def test_charts_are_svg_and_png_with_labelled_axes_and_render_the_same_twice():
    bundle = assembled(semester()).bundle

    charts = draw(bundle)
    again = draw(bundle)

    assert [chart.name for chart in charts] == ["funnel", "sources", "metrics"]
    for chart, twin in zip(charts, again, strict=True):
        assert chart.png.startswith(b"\x89PNG")
        ET.fromstring(chart.svg)  # well-formed
        assert chart.svg == twin.svg
    assert "ideas that reached the stage during the period" in charts[0].svg
    assert "change from baseline (%)" in charts[2].svg
    assert re.search(r"external share: 100%", charts[1].svg)
    alone = draw(bundle, png=False)
    assert [chart.png for chart in alone] == [None] * 3
    assert [chart.svg for chart in alone] == [chart.svg for chart in charts]


def test_the_metrics_chart_shows_the_largest_changes_when_there_are_too_many(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(charts, "METRIC_BARS", 2)
    log = Log()
    for number, observed in enumerate((850.0, 100.0, 880.0, 300.0)):  # baseline 900
        name = f"pilot{number}"
        log.submit(name, day(1, 10 + number))
        log.screen(name, day(1, 20 + number))
        log.validate_by_experiment(name, day(2, 1), day(4, 1), observed=observed)

    svg = draw(assembled(log).bundle)[2].svg

    assert "the 2 largest of 4" in svg
    assert "Idea pilot1" in svg  # -89%
    assert "Idea pilot3" in svg  # -67%
    assert "Idea pilot0" not in svg  # -6%
    assert "Idea pilot2" not in svg  # -2%


def test_an_empty_period_still_renders_a_digest():
    digest = render(assembled(Log()).bundle)

    assert "Nothing shipped this period." in digest.markdown
    assert "Nothing was stopped this period." in digest.html


def test_an_email_is_not_composed_from_charts_drawn_for_a_page_alone():
    from datetime import UTC, datetime

    from innovation.releases.mail import compose

    bundle = assembled(semester()).bundle
    digest = render(bundle, charts=tuple(draw(bundle, png=False)))

    with pytest.raises(ValueError, match="the funnel chart was drawn for a page"):
        compose(
            digest,
            sender="pipeline@example.org",
            recipient="ceo@example.org",
            delivery_id="42-ceo",
            at=datetime(2026, 7, 1, 6, 0, tzinfo=UTC),
        )


def test_the_email_is_text_and_html_alternatives_with_the_charts_inline():
    from datetime import UTC, datetime
    from email import message_from_bytes, policy

    from innovation.releases.mail import compose

    digest = render(assembled(semester()).bundle, page_url="https://example.org/r?key=k1")
    message = compose(
        digest,
        sender="pipeline@example.org",
        recipient="ceo@example.org",
        delivery_id="42-ceo",
        at=datetime(2026, 7, 1, 6, 0, tzinfo=UTC),
    )

    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text, related = parsed.get_payload()
    assert text.get_content_type() == "text/plain"
    assert "https://example.org/r?key=k1" in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html, *images = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert {image["Content-ID"] for image in images} == {"<funnel>", "<sources>", "<metrics>"}
    assert all(image.get_content_type() == "image/png" for image in images)
    for name in ("funnel", "sources", "metrics"):
        assert f'src="cid:{name}"' in html.get_content()
    assert parsed["Message-ID"] == "<42-ceo@innovation.digest>"
    # A subject that fits its own line is folded after "Subject:", and Python's parser keeps the
    # fold's space (a mail reader drops it, as RFC 5322 unfolding allows).
    assert parsed["Subject"].strip() == (
        "Release 2026-H1: 1 idea shipped, biggest change -67.8% in daily alarms"
    )


ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_atom_feed_has_what_rfc_4287_requires_and_links_carry_the_key():
    from datetime import UTC, datetime

    from innovation.releases.feed import FeedEntry, entry_id, render_feed

    entries = [
        FeedEntry("2026-H1", datetime(2026, 7, 1, tzinfo=UTC), "2 ideas <shipped>", "<p>a</p>"),
        FeedEntry("2025-H2", datetime(2026, 1, 1, tzinfo=UTC), "1 idea shipped", "<p>b</p>"),
    ]

    document = ET.fromstring(render_feed(entries, base_url="http://h:8000", key="fk_1"))

    assert document.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert document.find(f"{ATOM}{required}") is not None, required
    self_link = document.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "http://h:8000/releases.atom?key=fk_1"
    items = document.findall(f"{ATOM}entry")
    assert [item.find(f"{ATOM}title").text for item in items] == [
        "Release 2026-H1",
        "Release 2025-H2",
    ]
    first = items[0]
    assert first.find(f"{ATOM}id").text == entry_id("2026-H1")
    assert first.find(f"{ATOM}updated").text.startswith("2026-07-01T00:00:00")
    [link] = [
        link for link in first.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"
    ]
    assert link.get("href") == "http://h:8000/releases/2026-H1?key=fk_1"
    assert first.find(f"{ATOM}summary").text == "2 ideas <shipped>"
    assert first.find(f"{ATOM}content").get("type") == "html"
    assert len({item.find(f"{ATOM}id").text for item in items}) == 2


def test_the_releases_page_lists_releases_newest_first_with_links_that_carry_the_key():
    from datetime import UTC, datetime

    from innovation.releases.pages import releases_page

    html = releases_page(
        [
            ("2026-H1", datetime(2026, 7, 1, tzinfo=UTC), "3 ideas <b>shipped</b>"),
            ("2025-H2", datetime(2026, 1, 1, tzinfo=UTC), "1 idea shipped"),
        ],
        base_url="http://h:8000",
        key="fk_1",
    )

    assert html.index("2026-H1") < html.index("2025-H2")
    assert 'href="http://h:8000/releases/2026-H1?key=fk_1"' in html
    assert 'href="http://h:8000/releases.atom?key=fk_1"' in html
    assert "&lt;b&gt;shipped&lt;/b&gt;" in html


def test_dates_are_the_pipeline_zone_s_days_as_the_period_s_are():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from innovation.releases.pages import releases_page

    late_evening = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)  # 1 March, 00:30 in Paris
    log = Log()
    log.submit("x", day(1, 10))
    log.screen("x", day(1, 11))
    log.override("x", late_evening)
    log.submit("y", day(1, 12))
    log.add("idea-y", late_evening, idea.IdeaRejected(idea_id="y", reason="Not now."))
    bundle = assembled(log).bundle
    paris = ZoneInfo("Europe/Paris")

    digest = render(bundle, zone=paris)
    listed = releases_page(
        [("2026-H1", bundle.ends_at, "1 idea shipped")], base_url="http://h", key=None, zone=paris
    )

    assert "2026-01-01 to 2026-06-30" in digest.markdown
    for text in (digest.markdown, digest.html):
        assert "Validated by a lead's decision on 2026-03-01" in text
        assert "2026-02-28" not in text
    assert "**Idea y** (2026-03-01): Not now." in digest.markdown
    assert "<td>2026-03-01</td>" in digest.html
    assert "published 2026-07-01" in listed  # the period closed at midnight in Paris
    assert "Validated by a lead's decision on 2026-02-28" in render(bundle).markdown  # UTC


def test_the_markdown_ends_with_a_paragraph_of_its_own_and_an_empty_period_has_no_share():
    empty = render(assembled(Log()).bundle).markdown
    full = render(assembled(semester()).bundle).markdown

    assert "- Ideas scouted: 0\n" in empty
    for markdown in (empty, full):
        # after a blank line: right after the list, it would continue its last item
        assert re.search(r"\n\n_Frozen at log position \d+\._\n?$", markdown)


def test_each_shipped_item_is_a_block_of_its_own_in_the_markdown():
    log = semester()
    log.submit("vpn", day(1, 13))
    log.screen("vpn", day(1, 14))
    log.override("vpn", day(2, 2), reason="Tenders demand it")
    log.submit("care", day(1, 15))
    log.screen("care", day(1, 16))
    log.validate_by_experiment("care", day(2, 3), day(4, 2), observed=280.0)

    markdown = render(assembled(log).bundle).markdown

    assert markdown.count("\n### ") == 3
    assert markdown.count("\n\n### ") == 3  # a heading right after a line would run into it
    assert "“Tenders demand it”.\n\n### " in markdown


def test_a_metric_s_values_carry_no_decimals_that_say_nothing():
    from innovation.releases.digest import environment

    number = environment().filters["number"]

    assert [number(value) for value in (3.1, 4.0, 0.8, 1234.5, 12.345, -0.004, None)] == [
        "3.1",
        "4",
        "0.8",
        "1,234.5",
        "12.35",
        "0",
        "—",
    ]
