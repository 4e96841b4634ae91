"""Write ``seed/pipeline.jsonl``: three and a half years of the demo pipeline, from tables below.

Run ``python seed/generate.py``. Standard library only; the measurement noise comes from a
generator seeded with each experiment's key, so the output is the same on every run and the
JSON Lines file stays a reviewable product of this one.

Each idea is one ``Idea`` row: what the scout wrote, where it came from, and its story as a
tuple of steps (screening with a score, ethics reviews, revisions, pilots with their metrics,
rejections, merges, a lead's override). Every step turns into the commands a user would have
issued at those times; the lines are then sorted by time.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

OUTPUT = Path(__file__).with_name("pipeline.jsonl")
LAST_LINE = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
"""Today is 2026-12-01: nothing in the demo happens later than this."""

THEMES = {
    "cx": "customer-experience",
    "platforms": "telecom-platforms",
    "cyber": "cybersecurity",
    "cloud": "networks-cloud",
    "genai": "generative-ai",
}
COUNCIL = ("Data and AI ethics council",)
PANEL_A = ("Data and AI ethics council", "A. Mbaye", "C. Laurent", "J. Weber")
PANEL_B = ("Data and AI ethics council", "S. Nowak", "F. El Amrani", "R. Okafor")

Line = dict[str, Any]


def when(text: str) -> datetime:
    """``2024-03-05`` (09:00 UTC) or ``2024-03-05 14:30``, always UTC."""
    parsed = datetime.fromisoformat(text if " " in text else f"{text} 09:00")
    return parsed.replace(tzinfo=UTC)


def line(at: datetime, actor: str, command: str, **payload: Any) -> Line:
    return {"at": at, "actor": actor, "command": command, "input": payload}


# Steps of an idea's story


@dataclass(frozen=True)
class Rescore:
    """A new RICE estimate plus strategic fit, usually after a pilot taught the lead something."""

    at: str
    reach: int
    impact: float
    confidence: float
    effort: float
    fit: int

    def lines(self, idea: Idea) -> list[Line]:
        score = {
            "reach": self.reach,
            "impact": self.impact,
            "confidence": self.confidence,
            "effort": self.effort,
            "strategic_fit": self.fit,
        }
        return [line(when(self.at), idea.lead, "ScoreIdea", idea_id=idea.key, score=score)]


@dataclass(frozen=True)
class Screen(Rescore):
    """The lead takes the idea into screening, and scores it 25 minutes later."""

    def lines(self, idea: Idea) -> list[Line]:
        advance = line(
            when(self.at), idea.lead, "AdvanceIdea", idea_id=idea.key, to_stage="SCREENING"
        )
        scored = super().lines(idea)[0]
        scored["at"] += timedelta(minutes=25)
        return [advance, scored]


@dataclass(frozen=True)
class Ethics:
    """The lead asks the council; it answers later (or not yet, when ``answered`` is empty)."""

    asked: str
    answered: str = ""
    verdict: str = "APPROVED"
    note: str | None = None
    reviewers: tuple[str, ...] = COUNCIL
    reviewer: str = "ethics:demo-ethics"

    def lines(self, idea: Idea) -> list[Line]:
        request = line(when(self.asked), idea.lead, "RequestEthicsReview", idea_id=idea.key)
        if not self.answered:
            return [request]
        verdict: dict[str, Any] = {"verdict": self.verdict, "reviewers": list(self.reviewers)}
        if self.note:
            verdict["note"] = self.note
        answer = line(
            when(self.answered), self.reviewer, "RecordEthicsReview", idea_id=idea.key, **verdict
        )
        return [request, answer]


@dataclass(frozen=True)
class Act:
    """One command on the idea whose only other field is a text: a reason, a summary, a target."""

    at: str
    text: str
    command: ClassVar[str]
    field: ClassVar[str]
    by_scout: ClassVar[bool] = False

    def lines(self, idea: Idea) -> list[Line]:
        actor = idea.scout if self.by_scout else idea.lead
        text = {self.field: self.text}
        return [line(when(self.at), actor, self.command, idea_id=idea.key, **text)]


class Revise(Act):
    """The scout rewrites the summary, a material change that calls for a new ethics review."""

    command, field, by_scout = "ReviseIdea", "summary", True


class Reject(Act):
    command, field = "RejectIdea", "reason"


class Reopen(Act):
    """A lead takes a rejected idea back into screening once the reason no longer holds."""

    command, field = "ReopenIdea", "reason"


class Merge(Act):
    """A duplicate closed into the idea (``text`` is its key) that survives it."""

    command, field = "MergeIdea", "into_idea_id"


class Override(Act):
    """A lead validates without a pilot and writes down why."""

    command, field = "OverrideValidation", "reason"


@dataclass(frozen=True)
class Metric:
    """What a pilot measures. ``start`` is the first reading when it differs from the baseline
    (a novelty that wears off); ``final`` is the last reading, exactly; ``digits`` rounds."""

    name: str
    unit: str
    baseline: float
    target: float
    final: float
    start: float | None = None
    digits: int = 1
    cumulative: bool = False

    @property
    def direction(self) -> str:
        return "LOWER_IS_BETTER" if self.target < self.baseline else "HIGHER_IS_BETTER"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "baseline": self.baseline,
            "target": self.target,
            "direction": self.direction,
        }

    def readings(self, count: int, noise: random.Random) -> list[float]:
        """A trend from the first reading to ``final`` that flattens out (a running total grows
        steadily and never falls), with some noise; the last reading is ``final`` exactly."""
        first = self.baseline if self.start is None else self.start
        spread = abs(self.final - first) * (0.02 if self.cumulative else 0.07)
        bend = 1.0 if self.cumulative else 1.6  # a running total grows steadily
        values: list[float] = []
        for index in range(1, count + 1):
            progress = index / count
            trend = first + (self.final - first) * (1 - (1 - progress) ** bend)
            value = self.final if index == count else trend + noise.gauss(0, spread)
            if self.cumulative and values:
                value = min(max(value, values[-1]), self.final)
            if self.unit == "%":
                value = min(max(value, 0.0), 100.0)
            values.append(float(round(value, self.digits) if self.digits else round(value)))
        return values


@dataclass(frozen=True)
class Fix:
    """A lead corrects the ``reading``-th measurement (from 0) of ``metric`` of a pilot."""

    at: str
    metric: str
    reading: int
    value: float
    reason: str


@dataclass(frozen=True)
class Pilot:
    """An experiment, measured every ``every`` days up to ``until``; concluded if it is over."""

    key: str
    started: str
    starts_on: str
    ends_on: str
    site: str
    hypothesis: str
    metrics: tuple[Metric, ...]
    until: str
    every: int = 14
    concluded: str = ""
    outcome: str = ""
    decision: str = ""
    note: str = ""
    fix: Fix | None = None

    def measured_on(self) -> list[date]:
        days: list[date] = []
        day = date.fromisoformat(self.starts_on) + timedelta(days=self.every)
        last = date.fromisoformat(self.until)
        while day <= last:
            days.append(day)
            day += timedelta(days=self.every)
        if not days or days[-1] != last:
            days.append(last)
        return days

    def lines(self, idea: Idea) -> list[Line]:
        assert self.starts_on <= self.until <= self.ends_on, f"{self.key}: measured off its dates"
        assert not self.concluded or self.until < self.concluded, f"{self.key}: measured late"
        lead = idea.lead
        out = [
            line(
                when(self.started),
                lead,
                "StartExperiment",
                experiment_id=self.key,
                idea_id=idea.key,
                hypothesis=self.hypothesis,
                pilot_site=self.site,
                starts_on=self.starts_on,
                ends_on=self.ends_on,
                metrics=[metric.definition() for metric in self.metrics],
            )
        ]
        days = self.measured_on()
        noise = random.Random(self.key)
        readings: dict[tuple[str, int], Line] = {}
        for metric in self.metrics:
            for index, (day, value) in enumerate(
                zip(days, metric.readings(len(days), noise), strict=True)
            ):
                measured = datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)
                readings[metric.name, index] = line(
                    measured + timedelta(hours=1, minutes=30),
                    lead,
                    "RecordMeasurement",
                    experiment_id=self.key,
                    metric=metric.name,
                    value=value,
                    measured_at=measured,
                )
        out.extend(readings.values())
        if self.fix:
            out.append(self.correction(readings, idea))
        if self.concluded:
            out.append(
                line(
                    when(self.concluded),
                    lead,
                    "ConcludeExperiment",
                    experiment_id=self.key,
                    outcome=self.outcome,
                    decision=self.decision,
                    note=self.note,
                )
            )
        return out

    def correction(self, readings: dict[tuple[str, int], Line], idea: Idea) -> Line:
        """The fix as a command naming the measurement by its number: the experiment's version
        that recorded it, once the lines are sorted by time (the start is version 1)."""
        fix = self.fix
        assert fix is not None
        assert not self.concluded or fix.at < self.concluded, f"{self.key}: corrected late"
        wrong = readings[fix.metric, fix.reading]
        assert when(fix.at) > wrong["at"], f"{self.key}: corrected before it was measured"
        ordered = sorted(readings.values(), key=lambda out: out["at"])
        number = 2 + next(n for n, out in enumerate(ordered) if out is wrong)
        return line(
            when(fix.at),
            idea.lead,
            "CorrectMeasurement",
            experiment_id=self.key,
            measurement=number,
            value=fix.value,
            reason=fix.reason,
        )


Step = Rescore | Ethics | Act | Pilot


@dataclass(frozen=True)
class Idea:
    key: str
    at: str
    scout_name: str
    source: str
    organisation: str
    country: str
    themes: str
    title: str
    summary: str
    ai: bool = False
    personal: bool = False
    url: str | None = None
    lead_name: str = "demo-lead"
    story: tuple[Step, ...] = ()

    @property
    def scout(self) -> str:
        return f"scout:{self.scout_name}"

    @property
    def lead(self) -> str:
        return f"lead:{self.lead_name}"

    def lines(self) -> list[Line]:
        provenance: dict[str, Any] = {
            "source_kind": self.source,
            "organisation": self.organisation,
            "country": self.country,
            "external": self.source != "EMPLOYEE",
        }
        if self.url:
            provenance["url"] = self.url
        submitted = line(
            when(self.at),
            self.scout,
            "SubmitIdea",
            idea_id=self.key,
            title=self.title,
            summary=self.summary,
            provenance=provenance,
            themes=[THEMES[theme] for theme in self.themes.split()],
            uses_ai=self.ai,
            uses_personal_data=self.personal,
        )
        return [submitted] + [out for step in self.story for out in step.lines(self)]


# fmt: off
IDEAS: tuple[Idea, ...] = (
    # 2023-H2: the new approach starts; ideas come from anywhere
    Idea("fibre-cut-locator", "2023-07-04 10:20", "demo-scout", "STARTUP", "Lumetrix Photonics",
         "CA", "cloud", ai=True,
         title="Locate fibre cuts to the metre from reflectometry traces",
         summary="A Montreal start-up reads the light echoes of a damaged fibre with a trained "
                 "model and tells the field team where to dig, instead of a stretch of several "
                 "hundred metres.",
         story=(
             Screen("2023-07-10", 4_000, 2.0, 0.8, 3, 4),
             Ethics("2023-07-11", "2023-07-24", note="Network measurements only; nothing "
                    "about customers is processed."),
             Pilot("fibre-cut-pilot", "2023-07-27", "2023-08-01", "2023-10-31",
                   "Orange Polska field teams, Kraków region",
                   "Field teams who get a precise location repair fibre cuts at least a quarter "
                   "faster.",
                   (Metric("mean time to repair a fibre cut", "hours", 6.5, 4.5, 4.2),
                    Metric("cuts located within 10 metres", "%", 35, 80, 86, digits=0)),
                   until="2023-10-30", concluded="2023-11-08", outcome="VALIDATED",
                   decision="SCALE", note="Repairs about 35% faster and most cuts found on the "
                   "first dig; field teams in every region want it."),
         )),
    Idea("conversation-analytics", "2023-07-11 14:00", "demo-scout", "EMPLOYEE",
         "Orange Luxembourg", "LU", "cx genai", ai=True, personal=True,
         title="Live call analysis that puts the right answer on the agent's screen",
         summary="While a customer speaks, a neural network follows the call and brings up the "
                 "product sheet or procedure the agent needs, so fewer calls end with a promise "
                 "to call back. Built at the Luxembourg affiliate and recognised by four awards "
                 "in 2023, among them the CX Awards.",
         story=(
             Screen("2023-07-13", 12_000, 2.0, 0.8, 6, 5),
             Ethics("2023-07-13 11:00", "2023-08-03", note="Calls are analysed as they happen "
                    "and not stored; the agent decides what to tell the customer.",
                    reviewers=PANEL_A),
             Pilot("conversation-analytics-pilot", "2023-08-10", "2023-08-16", "2023-11-15",
                   "Orange Luxembourg contact centre",
                   "Agents who see the right product sheet while the customer talks resolve "
                   "more calls without a call-back.",
                   (Metric("calls resolved without a call-back", "%", 64, 75, 78.5),
                    Metric("average handling time", "minutes", 7.8, 7.0, 6.6)),
                   until="2023-11-14", concluded="2023-11-22", outcome="VALIDATED",
                   decision="SCALE", note="Both targets met in Luxembourg; roll out to the "
                   "contact centres of the other affiliates.",
                   fix=Fix("2023-09-29 10:15", "average handling time", 2, 7.4,
                           "The export counted calls put on hold twice; recomputed from the "
                           "telephony logs.")),
         )),
    Idea("home-voice-speaker", "2023-07-19 09:30", "ines", "PARTNER", "Deutsche Telekom", "DE",
         "cx", ai=True, personal=True,
         title="Home speaker with our own voice assistant",
         summary="A connected speaker and voice assistant developed jointly with a German "
                 "operator, meant to take on the voice assistants of the large US platforms in "
                 "customers' living rooms.",
         story=(
             Screen("2023-07-24", 300_000, 1.0, 0.3, 40, 2),
             Ethics("2023-07-25", "2023-08-29", note="The wake word is detected on the device; "
                    "recordings are deleted after 30 days unless the customer keeps them."),
             Pilot("home-voice-speaker-pilot", "2023-09-11", "2023-09-18", "2024-01-31",
                   "600 households in Rennes and Bonn",
                   "Households given the speaker still use it every day after the first month.",
                   (Metric("households using it daily", "%", 20, 45, 12, start=58, digits=0),
                    Metric("voice requests per household per day", "requests", 2.0, 6.0, 1.3,
                           start=7.1)),
                   until="2024-01-29", concluded="2024-02-12", outcome="INVALIDATED",
                   decision="STOP", note="Use collapsed once the novelty wore off; the large "
                   "consumer assistants already own the living room, and the partner is ending "
                   "the product too."),
         )),
    Idea("orange-bot-livebox", "2023-08-02 16:10", "ines", "EMPLOYEE",
         "Orange France customer service", "FR", "cx genai", ai=True, personal=True,
         title="Around-the-clock chat assistant for everyday questions",
         summary="An assistant on the website and in the app answers common questions at any "
                 "hour (setting up a Livebox 6, reading a bill) and hands the rest to an "
                 "adviser with the conversation so far.",
         story=(
             Screen("2023-08-07", 500_000, 0.5, 0.8, 3, 3),
             Ethics("2023-08-07 10:00", "2023-08-24", note="The assistant says it is one and "
                    "offers an adviser at every step."),
             Pilot("orange-bot-pilot", "2023-08-30", "2023-09-04", "2023-11-24",
                   "Orange France website and app",
                   "The assistant settles a majority of everyday questions without an adviser "
                   "and customers are as satisfied as with a person.",
                   (Metric("questions answered without an adviser", "%", 38, 55, 58.2),
                    Metric("satisfaction after a chat", "score out of 5", 3.6, 4.0, 4.1,
                           digits=2)),
                   until="2023-11-24", every=7, concluded="2023-12-04", outcome="VALIDATED",
                   decision="SCALE", note="58% of questions settled without an adviser and "
                   "satisfaction above 4 out of 5."),
         )),
    Idea("network-apis-subscription", "2023-08-21 11:00", "demo-scout", "COMPETITOR",
         "Amazon Web Services", "US", "platforms cloud", url="https://aws.amazon.com",
         title="Network capabilities sold by subscription",
         summary="Offer network functions (bandwidth on demand, private links, edge compute) "
                 "as services that business customers subscribe to and pay monthly, the way "
                 "cloud providers sell compute.",
         story=(
             Screen("2023-08-28", 3_000, 2.0, 0.5, 12, 5),
             Override("2023-12-11", "Part of the group plan for the platform offer: the first "
                      "business customers have signed, so the commercial launch is the pilot."),
         )),
    Idea("metaverse-flagship-store", "2023-08-29 15:45", "marta", "COMPETITOR", "Verizon", "US",
         "cx",
         title="A flagship shop in a virtual world",
         summary="Open a shop in a popular virtual world where avatars can try devices and talk "
                 "to staff, as a large US operator did.",
         story=(
             Screen("2023-09-04", 20_000, 0.25, 0.3, 8, 1),
             Reject("2023-09-06", "Curiosity rather than demand: visits elsewhere faded within "
                    "weeks, and it does nothing for the service we give customers today."),
         )),
    Idea("network-as-a-service", "2023-09-12 10:30", "ines", "COMPETITOR", "Google Cloud", "US",
         "platforms cloud",
         title="Network as a service for enterprises",
         summary="Let enterprises order network functions on demand by subscription, like cloud "
                 "services.",
         story=(Merge("2023-09-14", "network-apis-subscription"),)),
    Idea("noc-alarm-triage", "2023-09-20 08:50", "demo-scout", "EMPLOYEE",
         "Orange network operations centre", "FR", "cloud genai", ai=True,
         title="AI triage of network operations alarms",
         summary="Group and filter the alarms the network operations centre handles each day, "
                 "and flag equipment that is likely to fail before it does, so technicians move "
                 "from repair to prevention.",
         story=(
             Screen("2023-09-25", 400, 3.0, 0.8, 4, 5),
             Ethics("2023-09-26", "2023-10-12", note="Network telemetry only; no customer data "
                    "involved."),
             Pilot("noc-alarm-pilot", "2023-10-30", "2023-11-06", "2024-03-29",
                   "Network operations centre, Paris",
                   "Machine grouping of alarms cuts the alarms operators must handle each day to "
                   "a third, and predicts a good share of failures.",
                   (Metric("alarms to handle per day", "alarms", 9_000, 3_000, 2_870, digits=0),
                    Metric("failures predicted before they happened", "%", 5, 40, 47,
                           digits=0)),
                   until="2024-03-29", concluded="2024-04-08", outcome="VALIDATED",
                   decision="SCALE", note="Daily alarms divided by three; nearly half of the "
                   "failures were flagged in advance and fixed during planned work."),
         )),
    Idea("b2b-tailored-chatgpt", "2023-10-03 09:15", "demo-scout", "PARTNER", "OpenAI", "US",
         "genai platforms", ai=True, personal=True, url="https://openai.com",
         title="A tailored ChatGPT for business customers",
         summary="Rather than build a rival chatbot, package a customised version for business "
                 "customers, connected to their own documents and kept apart from everyone "
                 "else's data.",
         story=(
             Screen("2023-10-09", 8_000, 2.0, 0.5, 10, 5),
             Ethics("2024-03-04", "2024-04-11", note="Approved: customer documents never train "
                    "the partner's models and stay in a European data centre.",
                    reviewers=PANEL_B),
             Pilot("b2b-chatgpt-pilot", "2024-05-06", "2024-05-13", "2024-10-31",
                   "40 business customers in France",
                   "Business customers given a tailored assistant use it weekly and want to "
                   "keep it after the pilot.",
                   (Metric("weekly active users among licences", "%", 20, 50, 57),
                    Metric("customers who want to renew", "%", 50, 70, 75, digits=0)),
                   until="2024-10-28", concluded="2024-11-12", outcome="VALIDATED",
                   decision="SCALE", note="57% weekly use and three customers in four renewing; "
                   "added to the business catalogue."),
         )),
    Idea("sim-swap-fraud-check", "2023-10-16 13:20", "marta", "PARTNER", "GSMA Open Gateway",
         "GB", "cyber platforms", personal=True,
         title="SIM-swap check for banks before a payment",
         summary="A network API tells a bank whether the customer's SIM card changed recently, "
                 "so a transfer ordered right after a fraudulent swap can be held.",
         story=(
             Screen("2023-10-20", 2_000_000, 1.0, 0.8, 5, 5),
             Ethics("2023-10-23", "2023-11-16", note="The bank learns only whether a swap "
                    "happened and when, never who the customer is with."),
             Pilot("sim-swap-pilot", "2024-01-08", "2024-01-15", "2024-04-30",
                   "Orange Spain with two partner banks",
                   "Banks that check for a recent SIM swap halve account takeover fraud without "
                   "slowing payments.",
                   (Metric("account takeover fraud cases per month", "cases", 140, 70, 52,
                           digits=0),
                    Metric("checks answered within 300 ms", "%", 90, 99, 99.4)),
                   until="2024-04-29", concluded="2024-05-13", outcome="VALIDATED",
                   decision="SCALE", note="Fraud cases down by almost two thirds at both banks; "
                   "offer it to every bank through the API catalogue."),
         )),
    Idea("phishing-sms-filter", "2023-10-25 17:05", "kofi", "STARTUP", "Smishguard", "GB",
         "cyber", ai=True, personal=True,
         title="Stop phishing text messages inside the network",
         summary="A London start-up spots phishing text messages by their links and sending "
                 "patterns and blocks them before they reach the phone.",
         story=(
             Screen("2023-10-30", 5_000_000, 1.0, 0.8, 6, 5),
             Ethics("2023-11-02", "2023-12-07", note="Only links and sending patterns are "
                    "inspected; message text is not read or kept."),
             Pilot("phishing-sms-pilot", "2024-04-02", "2024-04-08", "2024-08-30",
                   "Orange Belgium mobile network",
                   "Filtering in the network stops at least three quarters of phishing messages "
                   "and almost never blocks a genuine one.",
                   (Metric("phishing messages delivered per day", "messages", 41_000, 10_000,
                           6_800, digits=0),
                    Metric("genuine messages blocked per million", "messages", 25, 5, 3.1)),
                   until="2024-08-26", concluded="2024-09-09", outcome="VALIDATED",
                   decision="SCALE", note="Phishing deliveries down by 83% with very few "
                   "genuine messages caught; extend to every European network."),
         )),
    Idea("data-ai-starter", "2023-11-06 10:00", "ines", "EMPLOYEE", "Orange Campus", "FR",
         "genai",
         title="AI basics training for every job",
         summary="Short courses per job family explain what AI changes in daily work and what "
                 "is at stake ethically; developers and marketers get different paths.",
         story=(
             Screen("2023-11-08", 27_000, 1.0, 0.8, 6, 5),
             Pilot("data-ai-starter-rollout", "2024-01-04", "2024-01-08", "2024-06-14",
                   "Employees in France and nine other countries",
                   "Job-specific courses reach twenty thousand employees in a semester and "
                   "learners recommend them.",
                   (Metric("employees trained", "people", 1_500, 20_000, 27_000, digits=0,
                           cumulative=True),
                    Metric("learners who recommend the course", "%", 60, 75, 81, digits=0)),
                   until="2024-06-14", concluded="2024-06-20", outcome="VALIDATED",
                   decision="SCALE", note="27,000 employees trained and four in five would "
                   "recommend it; the courses stay open to all staff."),
         )),
    Idea("kyutai-open-research", "2023-11-20 18:30", "demo-scout", "ACADEMIC", "Kyutai", "FR",
         "genai", ai=True, url="https://kyutai.org",
         title="Follow the Kyutai open AI research lab",
         summary="A privately funded European laboratory doing open research in artificial "
                 "intelligence with very large compute; its published models could serve "
                 "network and customer uses.",
         story=(
             Screen("2023-11-27", 0, 0.5, 0.5, 1, 3),
             Reject("2024-01-15", "A laboratory to follow, not an idea to pilot: the AI watch "
                    "team tracks its releases and will bring back any model worth a test."),
         )),
    Idea("tutogenius", "2023-12-06 11:40", "demo-scout", "PARTNER", "Artefact", "FR",
         "cx genai", ai=True, personal=True,
         title="Natural-language help instead of phone menus",
         summary="Callers ask their question in their own words instead of walking through "
                 "pre-recorded menu trees; built with a data consultancy.",
         story=(
             Screen("2023-12-11", 250_000, 1.0, 0.5, 8, 4),
             Ethics("2023-12-12", "2024-01-18", verdict="CHANGES_REQUESTED",
                    note="Tell callers they are talking to an assistant and let them reach a "
                    "person at every step.", reviewers=PANEL_A),
             Revise("2024-02-05", "Callers ask their question in their own words instead of "
                    "walking through pre-recorded menu trees; the assistant says it is one and "
                    "passes the call to a person whenever asked. Built with a data "
                    "consultancy."),
             Ethics("2024-02-06", "2024-02-22", note="The changes answer the council's "
                    "request.", reviewers=PANEL_A),
             Pilot("tutogenius-pilot", "2024-04-02", "2024-04-08", "2024-07-26",
                   "Customer service line, Lyon",
                   "Callers who can speak freely reach the right answer without an agent more "
                   "often than with menus.",
                   (Metric("calls solved without an agent", "%", 18, 35, 29.5),
                    Metric("callers asking for a person", "%", 40, 25, 31)),
                   until="2024-07-26", concluded="2024-08-05", outcome="INCONCLUSIVE",
                   decision="ITERATE", note="Better than the menus but short of the targets; "
                   "retry on Livebox set-up questions first, where answers are well "
                   "documented."),
             Rescore("2024-09-16", 120_000, 1.0, 0.8, 4, 4),
             Pilot("tutogenius-livebox-pilot", "2024-09-30", "2024-10-07", "2025-01-24",
                   "Livebox support line, Lyon and Lille",
                   "On Livebox set-up questions, free speech solves more than a third of calls "
                   "without an agent.",
                   (Metric("calls solved without an agent", "%", 18, 35, 37.8),
                    Metric("callers asking for a person", "%", 40, 25, 22)),
                   until="2025-01-24", concluded="2025-02-03", outcome="VALIDATED",
                   decision="SCALE", note="38% of Livebox calls solved without an agent; widen "
                   "to the other topics one by one."),
         )),
    Idea("cyber-honeypots", "2023-12-13 15:00", "kofi", "OPEN_SOURCE", "The Honeynet Project",
         "US", "cyber", url="https://www.honeynet.org",
         title="Shared decoy systems for small-business customers",
         summary="Run decoy systems on behalf of small-business customers and share what "
                 "attackers try as a security feed.",
         story=(
             Screen("2024-01-08", 30_000, 0.5, 0.5, 6, 2),
             Reject("2024-01-10", "Already covered by the managed security offer; no new value "
                    "for customers."),
         )),
    # 2024-H1
    Idea("dinootoo", "2024-01-09 09:40", "ines", "EMPLOYEE", "Orange Innovation", "FR", "genai",
         ai=True, personal=True,
         title="In-house generative assistant grounded in company knowledge",
         summary="One assistant for employees that mixes proprietary models (OpenAI, "
                 "Anthropic) with open ones (Meta, Mistral) and answers only from internal "
                 "documents through retrieval-augmented generation.",
         story=(
             Screen("2024-01-11", 27_000, 1.0, 0.8, 10, 4),
             Ethics("2024-01-12", "2024-02-08", note="Answers cite the internal document they "
                    "come from; prompts are not used to train any model.", reviewers=PANEL_B),
             Pilot("dinootoo-pilot", "2024-02-20", "2024-02-26", "2024-05-31",
                   "2,000 employees in France, Belgium and Poland",
                   "Employees use a grounded assistant every week and find its answers useful "
                   "and sourced.",
                   (Metric("weekly active users", "%", 10, 50, 63, digits=0),
                    Metric("answers rated useful", "%", 55, 75, 79, digits=0),
                    Metric("answers citing an internal source", "%", 40, 95, 97, digits=0)),
                   until="2024-05-31", concluded="2024-06-10", outcome="VALIDATED",
                   decision="SCALE", note="Used weekly by almost two in three pilot users and "
                   "nearly every answer sourced; open it to all employees."),
         )),
    Idea("internal-chatgpt", "2024-01-23 14:25", "youssef", "EMPLOYEE", "Orange Maroc", "MA",
         "genai", ai=True,
         title="A company chatbot for staff questions",
         summary="Give employees a private chatbot that answers from internal procedures "
                 "instead of the public tools.",
         story=(Merge("2024-01-25", "dinootoo"),)),
    Idea("energy-saving-ran", "2024-02-05 08:30", "marta", "PARTNER", "Nokia", "FI", "cloud",
         ai=True,
         title="Put radio cells to sleep when nobody needs them",
         summary="A model learns each site's traffic and switches off capacity layers at night "
                 "and wakes them before demand returns.",
         story=(
             Screen("2024-02-07", 1_200, 2.0, 0.8, 4, 5),
             Ethics("2024-02-08", "2024-02-29", note="Aggregated traffic counts only."),
             Pilot("energy-ran-pilot", "2024-04-29", "2024-05-06", "2024-11-15",
                   "1,200 radio sites in Romania",
                   "Sleeping capacity layers at quiet hours cuts energy per site by at least "
                   "an eighth.",
                   (Metric("energy per site per day", "kWh", 96, 84, 81.5),
                    Metric("night hours with capacity asleep", "%", 2, 30, 38, digits=0)),
                   until="2024-11-11", concluded="2024-12-02", outcome="VALIDATED",
                   decision="SCALE", note="15% less energy per site with no rise in complaints; "
                   "roll out in Poland and Spain next."),
         )),
    Idea("manager-ai-certification", "2024-02-19 11:15", "ines", "EMPLOYEE", "Orange Campus",
         "FR", "genai",
         title="Responsible AI certification for managers",
         summary="A three-module programme that makes managers ambassadors of responsible AI "
                 "in their teams, taught in every country the group serves.",
         story=(
             Screen("2024-02-21", 2_000, 1.0, 0.8, 4, 4),
             Pilot("manager-certification-pilot", "2024-04-10", "2024-04-15", "2024-10-11",
                   "Managers in 14 countries",
                   "A three-module programme certifies two hundred managers across the "
                   "countries within two quarters.",
                   (Metric("managers certified", "people", 12, 200, 200, digits=0,
                           cumulative=True),
                    Metric("countries with certified managers", "countries", 2, 14, 14,
                           digits=0, cumulative=True)),
                   until="2024-10-07", concluded="2024-10-21", outcome="VALIDATED",
                   decision="SCALE", note="200 managers from 14 countries certified; run it "
                   "every semester."),
         )),
    Idea("ar-shop-assistant", "2024-03-04 13:50", "marta", "STARTUP", "Vizar Labs", "PL", "cx",
         title="Augmented-reality product views in shops",
         summary="Shoppers point their phone at a shelf and see accessories placed on their own "
                 "device, with prices and stock.",
         story=(
             Screen("2024-03-11", 60_000, 0.5, 0.5, 3, 2),
             Pilot("ar-shop-pilot", "2024-06-03", "2024-06-10", "2024-10-25",
                   "12 Orange shops in Warsaw",
                   "Seeing accessories on their own phone makes shoppers buy more of them.",
                   (Metric("shoppers who try the AR view", "%", 10, 30, 7, start=22,
                           digits=0),
                    Metric("accessories sold per shop per week", "units", 40, 50, 39,
                           digits=0)),
                   until="2024-10-21", concluded="2024-11-05", outcome="INVALIDATED",
                   decision="STOP", note="Shoppers tried it once and went back to asking staff; "
                   "no lift in accessory sales."),
         )),
    Idea("mistral-sovereign-ai", "2024-03-18 10:05", "demo-scout", "PARTNER", "Mistral AI",
         "FR", "genai platforms", ai=True, personal=True, url="https://mistral.ai",
         title="Sovereign AI offer for business customers with Mistral AI",
         summary="Resell a French AI company's assistant and coding model to business customers "
                 "who want a European alternative, hosted in our own data centres.",
         story=(
             Screen("2024-03-20", 5_000, 2.0, 0.5, 8, 5),
             Ethics("2024-09-09", "2024-10-03", note="Approved for hosting in the group's "
                    "European data centres only.", reviewers=PANEL_B),
             Override("2025-03-03", "The partnership was signed at group level and the first "
                      "ministries ordered it; the partner's own references replace a pilot."),
         )),
    Idea("voice-biometrics-login", "2024-04-02 15:30", "kofi", "STARTUP", "Vocalis Security",
         "IL", "cyber cx", ai=True, personal=True,
         title="Recognise callers by their voice",
         summary="Verify who is calling the contact centre from a few seconds of speech "
                 "instead of security questions.",
         story=(
             Screen("2024-04-08", 900_000, 1.0, 0.5, 6, 3),
             Ethics("2024-04-09", "2024-05-16", note="Approved on condition that error rates "
                    "are reported per language and the old checks stay available.",
                    reviewers=PANEL_A),
             Pilot("voice-biometrics-pilot", "2024-08-26", "2024-09-02", "2024-12-13",
                   "Orange Côte d'Ivoire contact centre",
                   "Voice checks verify callers in seconds and rarely refuse a genuine "
                   "customer.",
                   (Metric("time to verify a caller", "seconds", 75, 20, 24, digits=0),
                    Metric("genuine callers wrongly refused", "%", 8, 2, 6.5)),
                   until="2024-12-09", concluded="2025-01-06", outcome="INCONCLUSIVE",
                   decision="ITERATE", note="Fast, but genuine callers speaking Dioula or "
                   "Baoulé were refused far more often than in French; the vendor retrains "
                   "on local speech."),
             Pilot("voice-biometrics-retrained", "2025-03-31", "2025-04-07", "2025-07-25",
                   "Orange Côte d'Ivoire contact centre",
                   "With a model retrained on local speech, wrongful refusals fall to 2% in "
                   "every language.",
                   (Metric("time to verify a caller", "seconds", 75, 20, 22, digits=0),
                    Metric("genuine callers wrongly refused", "%", 8, 2, 4.9)),
                   until="2025-07-21", concluded="2025-08-04", outcome="INVALIDATED",
                   decision="STOP", note="Wrongful refusals still above twice the target and "
                   "the gap between languages did not close, so the council's fairness "
                   "condition cannot be met; keep PIN checks."),
         )),
    Idea("african-language-models", "2024-04-15 09:00", "kofi", "PARTNER", "Meta", "US",
         "genai cx", ai=True, personal=True,
         title="Language models for African languages",
         summary="Work with large model makers on models that understand Wolof, Dioula and "
                 "other languages our customers speak, so assistants can serve them in their "
                 "own language.",
         lead_name="amina",
         story=(
             Screen("2024-04-18", 3_000_000, 2.0, 0.5, 18, 5),
             Ethics("2024-11-04", "2024-12-05", note="Speech collected for training is given "
                    "with consent and paid for; speakers can withdraw it.", reviewers=PANEL_B),
             Pilot("african-languages-pilot", "2025-02-24", "2025-03-03", "2025-09-26",
                   "Orange Sénégal and Orange Côte d'Ivoire assistants",
                   "Assistants with local-language models understand four requests in five and "
                   "finish more conversations without a transfer.",
                   (Metric("Wolof requests understood", "%", 41, 80, 84, digits=0),
                    Metric("conversations finished without a transfer", "%", 35, 55, 58,
                           digits=0)),
                   until="2025-09-22", concluded="2025-10-06", outcome="VALIDATED",
                   decision="SCALE", note="84% of Wolof requests understood; add Dioula and "
                   "Bambara next."),
         )),
    Idea("retention-offer-pricing", "2024-05-06 10:30", "demo-scout", "STARTUP",
         "PriceSense Analytics", "US", "cx", ai=True, personal=True,
         title="Retention offers priced by predicted willingness to pay",
         summary="A model predicts how much each customer about to leave would accept to pay "
                 "and sets the retention offer accordingly.",
         story=(
             Screen("2024-05-13", 400_000, 1.0, 0.5, 5, 2),
             Ethics("2024-05-14", "2024-06-13", verdict="REJECTED",
                    note="Customers in the same situation would pay different prices according "
                    "to a profile they cannot see; this breaks the council's fairness and "
                    "non-discrimination principles.", reviewers=PANEL_A),
             Reject("2024-06-17", "Refused by the ethics council: prices set per person from "
                    "a hidden profile are unfair to customers."),
         )),
    Idea("solar-tower-monitoring", "2024-05-21 12:00", "kofi", "STARTUP", "SunGrid Africa",
         "NG", "cloud", lead_name="amina",
         title="Solar power and battery monitoring for rural towers",
         summary="A Lagos start-up fits rural towers with solar panels, batteries and remote "
                 "monitoring so diesel generators run only as a last resort.",
         story=(
             Screen("2024-05-27", 2_500, 2.0, 0.5, 6, 4),
             Pilot("solar-tower-pilot", "2024-07-08", "2024-07-15", "2024-11-29",
                   "60 rural towers in Cameroon",
                   "Solar power with remote monitoring cuts diesel use by at least a third and "
                   "outages by half.",
                   (Metric("diesel used per tower per week", "litres", 180, 110, 142, digits=0),
                    Metric("outage hours per tower per month", "hours", 14, 6, 9)),
                   until="2024-11-25", concluded="2024-12-09", outcome="INCONCLUSIVE",
                   decision="ITERATE", note="Rainy-season cloud cut solar output and sensors "
                   "failed at 11 sites; retry with larger batteries once the rains end."),
             Pilot("solar-tower-batteries", "2025-01-06", "2025-01-13", "2025-04-30",
                   "60 rural towers in Cameroon",
                   "With larger batteries, diesel use falls by a third and outages by half "
                   "through the dry season.",
                   (Metric("diesel used per tower per week", "litres", 180, 110, 104,
                           digits=0),
                    Metric("outage hours per tower per month", "hours", 14, 6, 4.8)),
                   until="2025-04-28", concluded="2025-05-12", outcome="VALIDATED",
                   decision="SCALE", note="Diesel down 42% and outages down two thirds; equip "
                   "the 800 rural towers in Cameroon and Senegal."),
         )),
    Idea("blockchain-roaming-settlement", "2024-06-04 16:40", "marta", "OPEN_SOURCE",
         "Hyperledger Foundation", "US", "platforms",
         title="Settle roaming invoices on a shared ledger",
         summary="Operators record roaming usage on a shared ledger so that invoices reconcile "
                 "themselves instead of being disputed line by line.",
         lead_name="piotr",
         story=(
             Screen("2024-06-10", 30, 1.0, 0.5, 9, 2),
             Pilot("blockchain-roaming-pilot", "2024-09-24", "2024-10-01", "2025-03-31",
                   "Orange Polska and two roaming partners",
                   "A shared ledger settles roaming invoices in a third of the time.",
                   (Metric("days to settle a roaming invoice", "days", 45, 15, 38, digits=0),
                    Metric("disputed invoice lines", "%", 4, 2, 3.6)),
                   until="2025-03-31", every=28, concluded="2025-04-14",
                   outcome="INVALIDATED", decision="STOP", note="Settlement barely faster: "
                   "the delays come from the partners' approval steps, not from "
                   "reconciliation, and industry clearing houses already cover the rest."),
         )),
    Idea("sovereign-llm-offer", "2024-06-18 11:20", "youssef", "COMPETITOR", "OVHcloud", "FR",
         "genai cloud", ai=True,
         title="European-hosted language models for companies",
         summary="Sell companies access to language models hosted in Europe under European law, "
                 "as a French cloud provider now does.",
         story=(Merge("2024-06-20", "mistral-sovereign-ai"),)),
    # 2024-H2
    Idea("quality-on-demand-api", "2024-07-02 10:45", "demo-scout", "PARTNER", "Ericsson", "SE",
         "platforms cloud",
         title="Guaranteed network quality ordered through an API",
         summary="Broadcasters and drone operators reserve a stable connection for a given "
                 "place and time through an API, and pay per session.",
         story=(
             Screen("2024-07-08", 600, 2.0, 0.8, 5, 5),
             Pilot("qod-api-pilot", "2024-10-07", "2024-10-14", "2025-03-14",
                   "Three broadcasters and a drone operator in France",
                   "Sessions ordered through the API keep live streams free of freezes, and "
                   "customers order them every week.",
                   (Metric("live streams without a freeze", "%", 92, 99, 99.3),
                    Metric("sessions ordered per week", "sessions", 10, 200, 260, digits=0)),
                   until="2025-03-10", concluded="2025-04-01", outcome="VALIDATED",
                   decision="SCALE", note="Freezes almost gone and demand well above plan; "
                   "add it to the network API catalogue."),
         )),
    Idea("codestral-dev-assistant", "2024-07-16 09:20", "marta", "PARTNER", "Mistral AI", "FR",
         "genai", ai=True, lead_name="piotr",
         title="Coding assistant for our developers",
         summary="Give the group's developers a coding model that runs in our own cloud, so "
                 "code never leaves the company.",
         story=(
             Screen("2024-07-22", 6_000, 1.0, 0.5, 3, 4),
             Ethics("2025-09-01", "2025-09-18", note="Source code stays inside the group's "
                    "cloud; suggestions are reviewed like any other change."),
             Pilot("codestral-pilot", "2025-09-29", "2025-10-06", "2026-02-13",
                   "300 developers in Poland and France",
                   "Developers with a coding assistant deliver more changes each week without "
                   "more review comments.",
                   (Metric("merge requests per developer per week", "merge requests", 3.1, 3.8,
                           4.0),
                    Metric("review comments per merge request", "comments", 5.2, 4.0, 3.7)),
                   until="2026-02-09", concluded="2026-02-23", outcome="VALIDATED",
                   decision="SCALE", note="29% more merge requests and fewer review comments; "
                   "open it to every development team."),
         )),
    Idea("soc-genai-copilot", "2024-08-05 14:10", "ines", "ACADEMIC",
         "CISPA Helmholtz Center for Information Security", "DE", "cyber genai", ai=True,
         personal=True,
         title="Generative copilot for security analysts",
         summary="Summarise each security incident from its alerts and logs and propose the "
                 "first response steps, with the evidence attached.",
         story=(
             Screen("2024-08-12", 300, 2.0, 0.5, 5, 5),
             Ethics("2025-03-17", "2025-04-10", note="Logs are pseudonymised before the "
                    "model sees them; analysts approve every action.", reviewers=PANEL_B),
             Pilot("soc-copilot-pilot", "2025-04-28", "2025-05-05", "2025-10-17",
                   "Security operations centre, Rennes",
                   "Analysts with a copilot triage incidents in half the time with summaries "
                   "they trust.",
                   (Metric("time to triage an incident", "minutes", 38, 20, 17, digits=0),
                    Metric("summaries confirmed by the analyst", "%", 60, 85, 88, digits=0)),
                   until="2025-10-13", concluded="2025-11-03", outcome="VALIDATED",
                   decision="SCALE", note="Triage more than twice as fast; deploy to the other "
                   "security operations centres."),
         )),
    Idea("repair-visit-predictor", "2024-08-26 08:45", "marta", "EMPLOYEE", "Orange Spain",
         "ES", "cx cloud", ai=True, personal=True,
         title="Predict which broadband faults really need a technician",
         summary="Before booking a visit, a model checks line tests and the customer's history "
                 "and suggests a remote fix when it will do.",
         story=(
             Screen("2024-09-02", 250_000, 1.0, 0.8, 4, 4),
             Ethics("2025-04-07", "2025-04-24", note="Approved; customers can always insist on "
                    "a visit."),
             Pilot("repair-visit-pilot", "2025-05-26", "2025-06-02", "2025-11-14",
                   "Broadband repairs in Madrid and Valencia",
                   "Checking faults with a model avoids a third of needless visits and fixes "
                   "more faults remotely.",
                   (Metric("technician visits not needed", "%", 31, 20, 17.5),
                    Metric("faults fixed remotely", "%", 22, 35, 37, digits=0)),
                   until="2025-11-10", concluded="2025-12-01", outcome="VALIDATED",
                   decision="SCALE", note="Needless visits down by 44%; customers get their "
                   "line back sooner."),
         )),
    Idea("private-5g-port", "2024-09-09 13:00", "demo-scout", "CUSTOMER",
         "Port of Antwerp-Bruges", "BE", "cloud platforms",
         title="Private 5G network for a container terminal",
         summary="A port asks for its own 5G network so cranes and straddle carriers can be "
                 "driven remotely across the whole terminal.",
         story=(
             Screen("2024-09-16", 40, 3.0, 0.8, 10, 5),
             Pilot("private-5g-pilot", "2025-01-27", "2025-02-03", "2025-08-29",
                   "Container terminal, Port of Antwerp-Bruges",
                   "A private 5G network covers the terminal and keeps remote crane control "
                   "below 20 ms.",
                   (Metric("remote crane control latency", "ms", 45, 20, 14, digits=0),
                    Metric("terminal area covered", "%", 70, 99, 99.6)),
                   until="2025-08-25", concluded="2025-09-08", outcome="VALIDATED",
                   decision="SCALE", note="Full coverage and 14 ms latency; offer it to the "
                   "other ports and logistics sites."),
         )),
    Idea("deepfake-voice-detection", "2024-09-23 17:30", "kofi", "STARTUP", "Pindrop", "US",
         "cyber genai", ai=True, personal=True,
         title="Detect cloned voices on calls to business hotlines",
         summary="Flag calls where the voice is synthetic, so that a fraudster imitating a "
                 "company's manager cannot order a transfer or a SIM change.",
         story=(
             Screen("2024-09-30", 90_000, 2.0, 0.5, 5, 5),
             Ethics("2025-07-07", "2025-07-31", note="Calls are scored live and not kept; a "
                    "flag leads to a call-back, never to a refusal.", reviewers=PANEL_A),
             Pilot("deepfake-detection-pilot", "2025-09-08", "2025-09-15", "2026-02-27",
                   "Business customer hotline, France",
                   "Live scoring catches nine cloned voices in ten and rarely flags a real "
                   "caller.",
                   (Metric("cloned-voice calls flagged", "%", 30, 90, 93, digits=0),
                    Metric("genuine calls flagged by mistake", "%", 3.0, 1.0, 0.8)),
                   until="2026-02-23", concluded="2026-03-09", outcome="VALIDATED",
                   decision="SCALE", note="93% of test clones caught; include it in the "
                   "business security bundle."),
         )),
    Idea("whatsapp-care-wolof", "2024-10-08 10:10", "kofi", "EMPLOYEE", "Orange Sénégal", "SN",
         "cx", ai=True, personal=True, lead_name="amina",
         title="Customer care in Wolof on messaging apps",
         summary="Answer customers on the messaging app they already use, in Wolof or French, "
                 "with an assistant built on the new African language models.",
         story=(
             Screen("2024-10-14", 1_500_000, 2.0, 0.5, 6, 5),
             Ethics("2025-10-13", "2025-11-06", note="Approved; conversations are kept 90 "
                    "days for quality and then deleted.", reviewers=PANEL_B),
             Pilot("whatsapp-care-pilot", "2026-01-05", "2026-01-12", "2026-05-15",
                   "Orange Sénégal customer care",
                   "Customers answered in Wolof on a messaging app get half their questions "
                   "settled without an adviser and are more satisfied.",
                   (Metric("questions settled without an adviser", "%", 20, 50, 56, digits=0),
                    Metric("customer satisfaction", "score out of 5", 3.5, 4.0, 4.2,
                           digits=2)),
                   until="2026-05-11", concluded="2026-06-01", outcome="VALIDATED",
                   decision="SCALE", note="56% of questions settled in Wolof or French; extend "
                   "to Mali and Guinea."),
         )),
    Idea("smishing-blocker-maroc", "2024-10-21 15:35", "youssef", "EMPLOYEE", "Orange Maroc",
         "MA", "cyber", ai=True,
         title="Block fraudulent text messages for Moroccan customers",
         summary="Filter text messages that imitate banks and delivery companies before they "
                 "reach customers.",
         story=(Merge("2024-10-23", "phishing-sms-filter"),)),
    Idea("cloud-gaming-bundle", "2024-11-04 11:50", "marta", "COMPETITOR", "Microsoft", "US",
         "cx cloud",
         title="Cloud gaming included in fibre plans",
         summary="Bundle a cloud gaming subscription with fibre plans to show off low latency.",
         story=(
             Screen("2024-11-12", 150_000, 0.5, 0.3, 4, 1),
             Reject("2024-11-14", "Thin margins and low uptake where others tried it; two "
                    "operators have already closed their offers."),
         )),
    Idea("post-quantum-vpn", "2024-11-18 09:35", "ines", "ACADEMIC", "Fraunhofer AISEC", "DE",
         "cyber",
         title="Quantum-safe encryption for business VPNs",
         summary="Add the newly standardised post-quantum algorithms to the VPNs we sell, so "
                 "traffic recorded today cannot be decrypted later.",
         story=(
             Screen("2024-11-25", 3_000, 2.0, 0.8, 6, 5),
             Override("2026-03-16", "Public sector tenders now demand quantum-safe links and the "
                      "algorithms are standardised; a pilot would only repeat the vendor's "
                      "certification."),
         )),
    Idea("satellite-backhaul-cameroon", "2024-12-02 14:15", "kofi", "PARTNER",
         "Eutelsat OneWeb", "GB", "cloud", lead_name="amina",
         title="Low-orbit satellite links for remote villages",
         summary="Connect mobile sites in remote villages through low-orbit satellites where "
                 "fibre and microwave links cannot reach.",
         story=(
             Screen("2024-12-09", 200_000, 2.0, 0.5, 8, 4),
             Pilot("satellite-backhaul-pilot", "2026-01-26", "2026-02-02", "2026-08-28",
                   "25 villages in the East region of Cameroon",
                   "Satellite links keep remote sites on air almost all the time and carry far "
                   "more traffic than microwave.",
                   (Metric("time on air", "%", 91, 99, 99.2),
                    Metric("data carried per site per day", "GB", 8, 20, 26, digits=0)),
                   until="2026-08-24", concluded="2026-09-07", outcome="VALIDATED",
                   decision="SCALE", note="Sites on air 99% of the time with triple the "
                   "traffic; connect 150 more villages."),
         )),
    # 2025-H1
    Idea("network-config-copilot", "2025-01-13 10:00", "youssef", "STARTUP", "Intentware",
         "CA", "cloud genai", ai=True, lead_name="claire",
         title="Turn engineers' intent into checked router configuration",
         summary="Engineers describe a change in plain words; a model writes the configuration "
                 "and a verifier proves it before anything is pushed.",
         story=(
             Screen("2025-01-20", 800, 2.0, 0.5, 6, 4),
             Ethics("2026-07-13", "2026-08-06", note="Configuration only; every change is "
                    "approved by an engineer before it is pushed."),
             Pilot("network-config-pilot", "2026-08-31", "2026-09-07", "2027-02-26",
                   "Orange Maroc IP backbone team",
                   "With generated and verified configuration, engineers prepare more changes "
                   "and roll fewer back.",
                   (Metric("changes prepared per engineer per week", "changes", 6, 10, 8.4),
                    Metric("changes rolled back", "%", 4.0, 2.0, 2.6)),
                   until="2026-11-23"),
         )),
    Idea("drone-tower-inspection", "2025-01-27 16:20", "youssef", "STARTUP", "SkyAudit", "KE",
         "cloud", ai=True, lead_name="claire",
         title="Drone inspection of towers with image analysis",
         summary="Drones photograph antennas and masts, and a model spots rust, loose cables "
                 "and damaged mounts, so climbers go only where needed.",
         story=(
             Screen("2025-02-03", 4_000, 1.0, 0.5, 5, 3),
             Ethics("2025-02-04", "2025-02-27", note="Images of people or homes near the site "
                    "are blurred and deleted."),
             Pilot("drone-inspection-pilot", "2025-10-27", "2025-11-03", "2026-05-29",
                   "40 towers near Casablanca",
                   "Drone teams inspect twice as many towers a week and find more defects.",
                   (Metric("inspections per team per week", "towers", 6, 12, 7, digits=0),
                    Metric("defects found per inspection", "defects", 1.1, 1.5, 1.0,
                           digits=2)),
                   until="2026-05-25", every=28, concluded="2026-06-15",
                   outcome="INVALIDATED", decision="STOP", note="Flight permits took weeks per "
                   "site and the pictures found no more defects than the climbing teams."),
         )),
    Idea("genai-tender-answers", "2025-02-10 09:05", "demo-scout", "STARTUP", "Bidwise", "GB",
         "genai platforms", ai=True,
         title="Draft answers to business tenders from past bids",
         summary="A model drafts answers to a tender from our past winning bids and product "
                 "sheets, and marks what the bid manager must check.",
         story=(
             Screen("2025-02-17", 1_200, 1.0, 0.8, 3, 4),
             Ethics("2026-02-23", "2026-03-12", note="Only public and internal product "
                    "documents are used; no customer data."),
             Pilot("tender-answers-pilot", "2026-03-30", "2026-04-06", "2026-09-25",
                   "Business sales teams in France and Belgium",
                   "Drafted answers cut the time to answer a tender by more than a third and "
                   "most need no rewrite.",
                   (Metric("days to answer a tender", "days", 12, 7, 6, digits=0),
                    Metric("answers kept without a rewrite", "%", 40, 70, 74, digits=0)),
                   until="2026-09-21", concluded="2026-10-05", outcome="VALIDATED",
                   decision="SCALE", note="Tenders answered in half the time; roll out to all "
                   "business sales teams."),
         )),
    Idea("open-ran-romania", "2025-02-24 13:40", "marta", "OPEN_SOURCE",
         "O-RAN Software Community", "US", "cloud", lead_name="piotr",
         title="Open radio access network on standard servers",
         summary="Run radio sites on open interfaces and standard servers so equipment from "
                 "several vendors can be mixed.",
         story=(
             Screen("2025-03-03", 1_500, 2.0, 0.5, 20, 4),
             Pilot("open-ran-pilot", "2026-05-25", "2026-06-01", "2027-01-29",
                   "Orange Romania, 30 sites in Cluj",
                   "Open radio sites cost a fifth less to run and serve calls as well as "
                   "today's.",
                   (Metric("running cost per site per year", "EUR", 14_000, 11_000, 12_100,
                           digits=0),
                    Metric("dropped calls", "%", 0.55, 0.50, 0.53, digits=2)),
                   until="2026-11-23"),
         )),
    Idea("esim-instant-activation", "2025-03-10 11:25", "ines", "COMPETITOR", "T-Mobile US",
         "US", "cx",
         title="Activate a new line in minutes with an eSIM",
         summary="Customers buy a plan in the app and have a working line a few minutes later, "
                 "without a shop visit or a card in the post.",
         story=(
             Screen("2025-03-17", 800_000, 1.0, 0.5, 8, 3),
             Reject("2025-06-02", "The group renews its eSIM platform in 2026 and it includes "
                    "this; a separate pilot now would be thrown away."),
             Reopen("2026-10-05", "The group platform slipped to 2028; a pilot on today's "
                    "platform is worth running after all."),
         )),
    Idea("green-datacentre-cooling", "2025-03-24 15:10", "marta", "STARTUP", "Immersia", "DE",
         "cloud",
         title="Immersion cooling for data-centre servers",
         summary="Servers bathed in a dielectric liquid need far less energy for cooling and "
                 "fit in less space.",
         story=(Screen("2025-03-31", 20, 2.0, 0.5, 12, 3),)),
    Idea("kids-safe-sim", "2025-04-07 10:40", "demo-scout", "CUSTOMER",
         "Parents' association, Lyon", "FR", "cyber cx", personal=True,
         title="A children's SIM with protection built in",
         summary="A SIM plan for children with filtering, screen-time limits and location "
                 "sharing set up by the parents.",
         story=(
             Screen("2025-04-14", 300_000, 0.5, 0.5, 4, 2),
             Reject("2025-04-16", "The parental controls in the app already do this for every "
                    "plan; a separate SIM adds little."),
         )),
    Idea("call-summary-crm", "2025-04-22 14:55", "kofi", "PARTNER", "Salesforce", "US",
         "cx genai", ai=True, personal=True, lead_name="amina",
         title="Call summaries written into the customer record",
         summary="After each call, a model writes a short summary and the next steps into the "
                 "customer record, so agents stop typing notes.",
         story=(
             Screen("2025-04-28", 600_000, 1.0, 0.8, 4, 4),
             Ethics("2026-04-20", "2026-05-14", note="Summaries are visible to the customer on "
                    "request and never used to rate agents.", reviewers=PANEL_B),
             Pilot("call-summary-pilot", "2026-06-08", "2026-06-15", "2026-10-30",
                   "Orange Côte d'Ivoire contact centre",
                   "Automatic summaries halve after-call work and agents rarely need to "
                   "correct them.",
                   (Metric("after-call work per call", "minutes", 2.4, 1.2, 1.0, digits=2),
                    Metric("summaries corrected by the agent", "%", 35, 15, 12, digits=0)),
                   until="2026-10-26", concluded="2026-11-09", outcome="VALIDATED",
                   decision="SCALE", note="After-call work cut by 58%; extend to Senegal and "
                   "Cameroon."),
         )),
    Idea("mobile-money-scam-alerts", "2025-05-12 09:25", "kofi", "STARTUP", "Kora Risk", "CI",
         "cyber cx", ai=True, personal=True, lead_name="amina",
         title="Warn mobile money users before they pay a scammer",
         summary="Spot transfers that match known scam patterns and ask the customer to "
                 "confirm, with a short explanation, before the money leaves.",
         story=(
             Screen("2025-05-19", 2_000_000, 2.0, 0.5, 6, 5),
             Ethics("2026-07-27", "2026-08-20", note="Approved; a warning never blocks a "
                    "transfer on its own and its reasons are shown to the customer.",
                    reviewers=PANEL_A),
             Pilot("scam-alert-pilot", "2026-09-28", "2026-10-05", "2027-03-31",
                   "Orange Money users in Abidjan",
                   "A warning before suspicious transfers stops half of scam payments while "
                   "customers rarely find it wrong.",
                   (Metric("scam transfers stopped", "%", 10, 50, 34, digits=0),
                    Metric("warnings the customer found wrong", "%", 20, 8, 13, digits=0)),
                   until="2026-11-23", every=7),
         )),
    Idea("network-heat-map-complaints", "2025-06-09 12:30", "youssef", "EMPLOYEE",
         "Orange Egypt", "EG", "cx cloud", personal=True,
         title="Map customer complaints onto network coverage",
         summary="Plot complaints about coverage on a map next to network measurements, so "
                 "radio planners see where customers actually suffer.",
         story=(Screen("2025-06-16", 900, 1.0, 0.8, 2, 3),)),
    # 2025-H2
    Idea("ai-carbon-reports", "2025-07-07 10:15", "demo-scout", "STARTUP", "Greenly", "FR",
         "platforms cloud", url="https://greenly.earth",
         title="Carbon reports for business customers' telecom use",
         summary="Give business customers a monthly report of the emissions of their lines, "
                 "devices and cloud use, ready for their sustainability filings.",
         story=(Screen("2025-07-15", 20_000, 1.0, 0.5, 5, 3),)),
    Idea("llm-bill-explainer", "2025-07-21 16:00", "ines", "CUSTOMER",
         "Orange Belgium customer panel", "BE", "cx genai", ai=True, personal=True,
         title="Explain my bill in plain words",
         summary="Customers ask in the app why this month's bill differs from the last one and "
                 "get a short, sourced explanation.",
         story=(
             Screen("2026-09-14", 700_000, 1.0, 0.5, 3, 4),
             Ethics("2026-11-16"),
         )),
    Idea("egypt-arabic-voicebot", "2025-08-04 11:35", "youssef", "EMPLOYEE", "Orange Egypt",
         "EG", "genai cx", ai=True, personal=True,
         title="Voice assistant that understands Egyptian Arabic",
         summary="Train the customer assistant on Egyptian Arabic so callers need not switch "
                 "to standard Arabic or English.",
         story=(Merge("2025-08-06", "african-language-models"),)),
    Idea("cable-theft-detection", "2025-09-08 08:55", "kofi", "STARTUP", "Vibraline", "CM",
         "cloud cyber", ai=True, lead_name="amina",
         title="Hear cable thieves through the fibre itself",
         summary="A Douala start-up turns an existing fibre into a long microphone: a model "
                 "recognises digging and cutting along the route and alerts patrols.",
         story=(
             Screen("2025-09-15", 300, 2.0, 0.5, 5, 4),
             Ethics("2025-09-16", "2025-10-09", note="Vibrations only; nothing that could "
                    "identify passers-by is kept."),
             Pilot("cable-theft-pilot", "2025-11-10", "2025-11-17", "2026-04-30",
                   "Fibre and copper routes around Douala",
                   "Alerts from fibre sensing halve cable thefts and catch a third of "
                   "intrusions in the act.",
                   (Metric("cable thefts per month", "incidents", 24, 12, 17, digits=0),
                    Metric("intrusions caught in the act", "%", 5, 30, 21, digits=0)),
                   until="2026-04-27", concluded="2026-05-11", outcome="INCONCLUSIVE",
                   decision="ITERATE", note="Fewer thefts, but alerts reached patrols too late "
                   "on long rural spans; retry with patrol routes planned from the alerts."),
             Rescore("2026-06-01", 300, 2.0, 0.8, 6, 4),
         )),
    Idea("zero-trust-sme", "2025-09-22 14:20", "marta", "PARTNER", "Cloudflare", "US",
         "cyber platforms", url="https://www.cloudflare.com",
         title="Zero-trust access for small businesses",
         summary="Replace small businesses' VPNs with access checked per application and per "
                 "device, sold as a monthly option on their plan.",
         story=(Screen("2025-09-29", 60_000, 1.0, 0.5, 5, 4),)),
    Idea("sign-language-avatar", "2025-10-06 10:50", "kofi", "ACADEMIC",
         "Université Cheikh Anta Diop", "SN", "cx genai", ai=True,
         title="Sign-language avatar for shops and videos",
         summary="An avatar translates shop announcements and help videos into sign language "
                 "for deaf customers."),
    Idea("digital-twin-network", "2025-10-20 15:30", "demo-scout", "PARTNER", "NVIDIA", "US",
         "cloud genai", ai=True,
         title="A digital twin of the radio network",
         summary="Simulate the network in detail to test new sites, settings and software "
                 "before touching the real one.",
         story=(
             Screen("2025-10-27", 500, 2.0, 0.5, 15, 4),
             Ethics("2026-11-23"),
         )),
    Idea("b2b-churn-signals", "2025-11-10 09:10", "ines", "STARTUP", "Signalytics", "CA",
         "cx", ai=True, personal=True,
         title="Early signs that a business customer may leave",
         summary="Spot business customers whose use and tickets suggest they are unhappy, so "
                 "their account manager calls first."),
    Idea("fttx-install-scheduling", "2025-12-01 14:00", "marta", "EMPLOYEE", "Orange Romania",
         "RO", "cx",
         title="Let customers pick their fibre installation slot online",
         summary="Show free technician slots when a fibre order is placed and let customers "
                 "move them in a tap.",
         lead_name="piotr",
         story=(Screen("2025-12-08", 120_000, 1.0, 0.8, 2, 3),)),
    # 2026-H1
    Idea("sovereign-gpu-cloud", "2026-01-19 10:30", "demo-scout", "COMPETITOR", "Scaleway",
         "FR", "cloud genai platforms",
         title="Rent GPU capacity to European companies",
         summary="Sell GPU capacity hosted in our data centres to companies that train or run "
                 "models and want to stay under European law.",
         story=(Screen("2026-01-26", 1_000, 2.0, 0.5, 20, 4),)),
    Idea("quantum-safe-links", "2026-02-02 11:45", "youssef", "COMPETITOR", "BT Group", "GB",
         "cyber",
         title="Quantum-resistant links for government customers",
         summary="Offer government customers network links protected against future quantum "
                 "attacks, as a British operator now does.",
         story=(Merge("2026-02-04", "post-quantum-vpn"),)),
    Idea("fixed-wireless-rural", "2026-03-16 09:40", "kofi", "STARTUP", "Kijiji Wireless",
         "KE", "cloud cx",
         title="Fixed wireless broadband for rural homes",
         summary="Serve homes far from fibre with rooftop antennas on the 5G network, installed "
                 "in an afternoon.",
         story=(Screen("2026-03-23", 400_000, 1.0, 0.5, 6, 4),)),
    Idea("legacy-code-agents", "2026-04-13 13:15", "marta", "OPEN_SOURCE", "OpenHands", "US",
         "genai", ai=True, url="https://github.com/All-Hands-AI/OpenHands",
         title="Coding agents to modernise legacy billing code",
         summary="Open-source coding agents propose and test changes to old billing software, "
                 "one small pull request at a time.",
         lead_name="piotr",
         story=(
             Screen("2026-04-20", 400, 1.0, 0.5, 4, 3),
             Ethics("2026-11-25"),
         )),
    Idea("satellite-direct-to-phone", "2026-05-11 10:05", "demo-scout", "PARTNER",
         "Lynk Global", "US", "cloud cx",
         title="Text messages by satellite where there is no coverage",
         summary="Let ordinary phones send text messages through satellites when they are out "
                 "of reach of any mast."),
    Idea("ai-energy-tariff-coach", "2026-06-08 15:25", "ines", "STARTUP", "Wattsense", "FR",
         "cx", ai=True, personal=True,
         title="Cut the energy use of home equipment",
         summary="Tell customers how much their box and devices consume and suggest settings "
                 "that save energy."),
    # 2026-H2: in flight
    Idea("travel-esim-pass", "2026-07-06 11:00", "marta", "STARTUP", "Holafly", "ES",
         "cx platforms",
         title="Travel data passes sold as eSIMs",
         summary="Sell short data passes for travellers abroad as eSIMs bought in a minute, the "
                 "way specialist start-ups do.",
         story=(Screen("2026-07-13", 500_000, 1.0, 0.5, 4, 3),)),
    Idea("agentic-customer-care", "2026-08-17 09:50", "demo-scout", "COMPETITOR",
         "Vodafone", "GB", "cx genai", ai=True, personal=True,
         title="AI agents that complete customer requests end to end",
         summary="Agents that change a plan, book a repair or move a contract on the "
                 "customer's behalf, with a person approving anything unusual.",
         story=(
             Screen("2026-08-24", 1_000_000, 2.0, 0.5, 10, 5),
             Ethics("2026-09-01", "2026-10-01", verdict="APPROVED", note="Approved for the "
                    "pilot: every action is logged and reversible, and customers can ask for "
                    "a person.", reviewers=PANEL_B),
         )),
    Idea("on-device-small-models", "2026-09-14 14:35", "ines", "ACADEMIC", "Mila", "CA",
         "genai", ai=True,
         title="Small language models that run on the box",
         summary="Run a small model on the home box so simple voice and help requests work "
                 "without sending anything to the cloud."),
    Idea("scam-call-decoy-bot", "2026-10-05 10:20", "kofi", "COMPETITOR", "Virgin Media O2",
         "GB", "cyber genai", ai=True, personal=True,
         title="A decoy voice bot that keeps phone scammers busy",
         summary="An AI voice answers known scam numbers and keeps the fraudsters talking, "
                 "time they cannot spend on real customers."),
    Idea("green-ai-inference", "2026-10-26 16:45", "youssef", "ACADEMIC", "ETH Zürich", "CH",
         "genai cloud", ai=True,
         title="Measure and cut the energy of our AI services",
         summary="Meter the energy each AI request uses and route simple requests to smaller "
                 "models."),
    Idea("refurbished-phone-plans", "2026-11-16 09:30", "demo-scout", "COMPETITOR",
         "Back Market", "FR", "cx",
         title="Refurbished phones included in plans",
         summary="Offer plans with a refurbished phone, repaired and guaranteed, at a lower "
                 "monthly price."),
    Idea("mali-bambara-voice", "2026-11-24 11:10", "kofi", "EMPLOYEE", "Orange Mali", "ML",
         "cx genai", ai=True, personal=True,
         title="Voice menus in Bambara",
         summary="Let callers in Mali speak Bambara to the voice assistant, building on the "
                 "African language models."),
)
# fmt: on


def commands() -> list[Line]:
    """Every line, sorted by time (a stable sort keeps each idea's steps in order)."""
    lines = [out for idea in IDEAS for out in idea.lines()]
    lines.sort(key=lambda out: out["at"])
    return lines


def check(lines: list[Line]) -> None:
    """The few rules the loader would otherwise refuse late, stated where the data is written."""
    keys = [idea.key for idea in IDEAS]
    assert len(keys) == len(set(keys)), "idea keys must be unique"
    assert lines[-1]["at"] <= LAST_LINE, "nothing may happen after 2026-11-30"
    months = {idea.at[:7] for idea in IDEAS}
    for year, month in ((y, m) for y in range(2023, 2027) for m in range(1, 13)):
        if (2023, 7) <= (year, month) <= (2026, 11):
            assert f"{year}-{month:02}" in months, f"no idea scouted in {year}-{month:02}"


def encode(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise TypeError(value)


def render(lines: list[Line]) -> str:
    """The JSON Lines text, one command a line, times in UTC with a Z."""
    return "".join(json.dumps(entry, ensure_ascii=False, default=encode) + "\n" for entry in lines)


def main() -> None:
    lines = commands()
    check(lines)
    OUTPUT.write_text(render(lines), encoding="utf-8")
    print(f"{OUTPUT.name}: {len(lines)} commands, {len(IDEAS)} ideas")


if __name__ == "__main__":
    main()
