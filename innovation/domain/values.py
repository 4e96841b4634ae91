"""The pipeline's vocabulary: stages, kinds and verdicts, and the values ideas and experiments hold.

The ``validate_*`` functions return the value normalised (trimmed, upper-cased country) or raise
``InvalidInputError`` naming the field as the API input spells it, so clients can point at it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

import msgspec

from innovation.domain.bounds import (
    CONFIDENCE,
    EFFORT,
    METRIC_NAME_LENGTH,
    METRIC_UNIT_LENGTH,
    METRIC_VALUE,
    METRICS_COUNT,
    ORGANISATION_LENGTH,
    REACH,
    STRATEGIC_FIT,
    SUMMARY_LENGTH,
    THEME_LENGTH,
    THEMES_COUNT,
    TITLE_LENGTH,
    URL_LENGTH,
    Bound,
)
from innovation.domain.countries import COUNTRY_CODES
from innovation.domain.errors import InvalidInputError, checked


class Stage(StrEnum):
    """Where an idea stands; REJECTED and MERGED are terminal."""

    SCOUTED = "SCOUTED"
    SCREENING = "SCREENING"
    EXPERIMENTING = "EXPERIMENTING"
    VALIDATED = "VALIDATED"
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"
    MERGED = "MERGED"


TERMINAL_STAGES: frozenset[Stage] = frozenset({Stage.REJECTED, Stage.MERGED})


class SourceKind(StrEnum):
    """Where a scout found the idea; most are outside the company, and that is welcome."""

    STARTUP = "STARTUP"
    PARTNER = "PARTNER"
    ACADEMIC = "ACADEMIC"
    OPEN_SOURCE = "OPEN_SOURCE"
    COMPETITOR = "COMPETITOR"
    CUSTOMER = "CUSTOMER"
    EMPLOYEE = "EMPLOYEE"
    OTHER = "OTHER"


class Outcome(StrEnum):
    """What an experiment showed about its hypothesis."""

    VALIDATED = "VALIDATED"
    INVALIDATED = "INVALIDATED"
    INCONCLUSIVE = "INCONCLUSIVE"


class Decision(StrEnum):
    """What the lead does with the idea after an experiment."""

    SCALE = "SCALE"
    ITERATE = "ITERATE"
    STOP = "STOP"


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER_IS_BETTER = "HIGHER_IS_BETTER"
    LOWER_IS_BETTER = "LOWER_IS_BETTER"


class Verdict(StrEnum):
    """The ethics council's answer to a review request."""

    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    REJECTED = "REJECTED"


class EthicsStatus(StrEnum):
    """Where an idea stands with the ethics council; STALE is an approval older than the idea."""

    NOT_REQUIRED = "NOT_REQUIRED"
    REQUIRED = "REQUIRED"
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    REJECTED = "REJECTED"
    STALE = "STALE"


class ValidationRoute(StrEnum):
    """How an idea reached VALIDATED: by its experiment, or by a lead's written override."""

    EXPERIMENT = "EXPERIMENT"
    OVERRIDE = "OVERRIDE"


class Provenance(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Who had the idea first and where: the pipeline welcomes what was not invented here."""

    source_kind: SourceKind
    organisation: str
    country: str
    external: bool
    url: str | None = None


class Score(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A RICE estimate plus strategic fit; effort is in person-months."""

    reach: int
    impact: float
    confidence: float
    effort: float
    strategic_fit: int

    @property
    def rice(self) -> float:
        return self.reach * self.impact * self.confidence / self.effort


class MetricDefinition(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What an experiment measures, from where, and what counts as success."""

    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction


IMPACT_LEVELS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)

Choice = TypeVar("Choice", bound=StrEnum)


def validate_choice(kind: type[Choice], value: str, field: str) -> Choice:
    """One of the enumeration's values; commands built without the API's checks may hold others."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(kind)
        raise InvalidInputError(field, f"{field} must be one of {allowed}, not {value!r}") from None


BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Characters that reorder the text around them when displayed, so that what a reader sees is
not what was written (the "Trojan Source" trick); legitimate right-to-left text needs none."""

LONG_TEXT = 1_000
"""A text whose limit is this many characters or more is long text, written in paragraphs:
newlines and tabs are welcome there (a Windows line end becomes a newline)."""


_HIDDEN = r"\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff" + "".join(sorted(BIDI_CONTROLS))
_REFUSED_IN_LONG_TEXT = re.compile(rf"[\x00-\x08{_HIDDEN}]")
_REFUSED_IN_TEXT = re.compile(rf"[\x00-\x0a{_HIDDEN}]")
"""The characters a stored text must not hold: the controls (Unicode's category Cc, the same
since its first version: U+0000 to U+001F and U+007F to U+009F), surrogates (Cs), the line and
paragraph separators (Zl, Zp: U+2028 and U+2029), the bidi controls and the byte-order mark.
Long text may hold newlines and tabs (U+000A, U+0009). One search in C rather than a category
lookup per character in Python: a summary of 368 characters is checked in 3 us rather than 49.
``test_text_hygiene`` checks every code point against the categories."""


def _refused_character(text: str, multiline: bool) -> str | None:
    """The first character a stored text must not hold, as U+XXXX, or None."""
    found = (_REFUSED_IN_LONG_TEXT if multiline else _REFUSED_IN_TEXT).search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def validate_text(value: str, field: str, bound: Bound) -> str:
    """Normalise ``value`` (NFC, trimmed), refuse control and bidi-override characters, and
    check its length lies within ``bound``."""
    multiline = bound.most >= LONG_TEXT
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n") if multiline else value)
    text = text.strip()
    if (found := _refused_character(text, multiline)) is not None:
        allowed = " (newlines and tabs are fine)" if multiline else ""
        raise InvalidInputError(
            field,
            f"{field} must not hold control or bidirectional-override characters{allowed};"
            f" it holds {found}",
        )
    if not text and bound.least > 0:
        raise InvalidInputError(field, f"{field} must not be empty")
    if not bound.admits(len(text)):
        raise InvalidInputError(
            field,
            f"{field} must have {bound.least} to {bound.most} characters (it has {len(text)})",
        )
    return text


def is_text(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8: not when it holds half of a surrogate pair
    (JSON's ``"\\ud800"``, or a command line's bytes that were not UTF-8), which nothing can
    encode to store, hash or send back."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def validate_optional_text(value: str | None, field: str, bound: Bound) -> str | None:
    """Trim ``value``; blank means absent."""
    if value is None or not value.strip():
        return None
    return validate_text(value, field, bound)


def validate_title(title: str, field: str = "title") -> str:
    return validate_text(title, field, TITLE_LENGTH)


def validate_summary(summary: str, field: str = "summary") -> str:
    return validate_text(summary, field, SUMMARY_LENGTH)


def validate_country(country: str, field: str = "provenance.country") -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased."""
    code = country.strip().upper()
    if code not in COUNTRY_CODES:
        raise InvalidInputError(
            field, f"{field} must be an ISO 3166-1 alpha-2 country code, not {country!r}"
        )
    return code


_NOT_IN_URLS = frozenset('"<>\\^`{|}')
"""Characters RFC 3986 never allows in an address: one of them is an attempt at markup."""


def validate_url(url: str | None, field: str = "provenance.url") -> str | None:
    """Absent (or blank), or an http(s) address with a host."""
    if url is None or not url.strip():
        return None
    text = url.strip()
    problem = f"{field} must be an http:// or https:// address with a host"
    if not URL_LENGTH.admits(len(text)):
        raise InvalidInputError(field, f"{field} must have at most {URL_LENGTH.most} characters")
    if any(character.isspace() or character in _NOT_IN_URLS for character in text):
        raise InvalidInputError(field, problem)
    if _refused_character(text, multiline=False) is not None:
        raise InvalidInputError(field, problem)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise InvalidInputError(field, problem) from None
    if parts.scheme.lower() not in {"http", "https"} or not host:
        raise InvalidInputError(field, problem)
    return text


def validate_provenance(provenance: Provenance, field: str = "provenance") -> Provenance:
    source_kind, organisation, country, url = checked(
        lambda: validate_choice(SourceKind, provenance.source_kind, f"{field}.sourceKind"),
        lambda: validate_text(
            provenance.organisation, f"{field}.organisation", ORGANISATION_LENGTH
        ),
        lambda: validate_country(provenance.country, f"{field}.country"),
        lambda: validate_url(provenance.url, f"{field}.url"),
    )
    return Provenance(
        source_kind=source_kind,
        organisation=organisation,
        country=country,
        url=url,
        external=provenance.external,
    )


def validate_themes(themes: Sequence[str], field: str = "themes") -> tuple[str, ...]:
    """One to five distinct lowercase slugs; whether each is configured is checked elsewhere."""
    if not THEMES_COUNT.admits(len(themes)):
        raise InvalidInputError(
            field, f"{field} must name {THEMES_COUNT.least} to {THEMES_COUNT.most} themes"
        )
    seen: set[str] = set()
    for index, theme in enumerate(themes):
        where = f"{field}[{index}]"
        if not THEME_LENGTH.admits(len(theme)) or not _SLUG.fullmatch(theme):
            raise InvalidInputError(
                where, f"{where} must be a lowercase slug such as 'generative-ai', not {theme!r}"
            )
        if theme in seen:
            raise InvalidInputError(where, f"{where} repeats the theme {theme!r}")
        seen.add(theme)
    return tuple(themes)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_score(score: Score) -> Score:
    """RICE inputs within their scales: impact on the 0.25 to 3 ladder, confidence a share.

    Every value out of its scale is reported, not only the first, each under the field that
    ``scoreIdea``'s input gives it (``reach``, ``strategicFit``)."""

    def reach() -> None:
        if not _is_whole(score.reach) or not REACH.admits(score.reach):
            raise InvalidInputError(
                "reach",
                f"reach must be a whole number from {REACH.least} to {REACH.most:,}",
            )

    def impact() -> None:
        if score.impact not in IMPACT_LEVELS:
            levels = ", ".join(f"{level:g}" for level in IMPACT_LEVELS)
            raise InvalidInputError("impact", f"impact must be one of {levels}")

    def confidence() -> None:
        if not CONFIDENCE.admits(score.confidence):
            raise InvalidInputError(
                "confidence",
                f"confidence must be between {CONFIDENCE.least} and {CONFIDENCE.most}",
            )

    def effort() -> None:
        if not EFFORT.admits(score.effort):
            raise InvalidInputError(
                "effort",
                f"effort must be from {EFFORT.least:g} to {EFFORT.most:,g} person-months",
            )

    def strategic_fit() -> None:
        if not _is_whole(score.strategic_fit) or not STRATEGIC_FIT.admits(score.strategic_fit):
            raise InvalidInputError(
                "strategicFit",
                f"strategicFit must be a whole number from {STRATEGIC_FIT.least} to "
                f"{STRATEGIC_FIT.most}",
            )

    checked(reach, impact, confidence, effort, strategic_fit)
    return Score(
        reach=score.reach,
        impact=float(score.impact),
        confidence=float(score.confidence),
        effort=float(score.effort),
        strategic_fit=score.strategic_fit,
    )


def is_better(direction: Direction, value: float, than: float) -> bool:
    """Whether ``value`` improves on ``than`` in the metric's direction."""
    if direction is Direction.LOWER_IS_BETTER:
        return value < than
    return value > than


def validate_metric_value(value: float, field: str) -> float:
    """A baseline, target or measurement: a number within the metric values' range."""
    if not METRIC_VALUE.admits(value):
        raise InvalidInputError(
            field,
            f"{field} must be a number from {METRIC_VALUE.least:,} to {METRIC_VALUE.most:,}",
        )
    return float(value)


def validate_metric(metric: MetricDefinition, field: str) -> MetricDefinition:
    """A named, unit-bearing metric whose target improves on its baseline."""
    name = validate_text(metric.name, f"{field}.name", METRIC_NAME_LENGTH)
    unit = validate_text(metric.unit, f"{field}.unit", METRIC_UNIT_LENGTH)
    baseline = validate_metric_value(metric.baseline, f"{field}.baseline")
    target = validate_metric_value(metric.target, f"{field}.target")
    direction = validate_choice(Direction, metric.direction, f"{field}.direction")
    if not is_better(direction, target, baseline):
        way = "below" if direction is Direction.LOWER_IS_BETTER else "above"
        raise InvalidInputError(
            f"{field}.target",
            f"{field}.target must be strictly {way} the baseline ({baseline:g}) for {direction}",
        )
    return MetricDefinition(
        name=name, unit=unit, baseline=baseline, target=target, direction=direction
    )


def validate_metrics(
    metrics: Sequence[MetricDefinition], field: str = "metrics"
) -> tuple[MetricDefinition, ...]:
    """One to ten metrics with distinct names."""
    if not METRICS_COUNT.admits(len(metrics)):
        raise InvalidInputError(
            field, f"{field} must hold {METRICS_COUNT.least} to {METRICS_COUNT.most} metrics"
        )
    checked: list[MetricDefinition] = []
    for index, metric in enumerate(metrics):
        valid = validate_metric(metric, f"{field}[{index}]")
        if any(other.name == valid.name for other in checked):
            where = f"{field}[{index}].name"
            raise InvalidInputError(where, f"{where} repeats the metric {valid.name!r}")
        checked.append(valid)
    return tuple(checked)
