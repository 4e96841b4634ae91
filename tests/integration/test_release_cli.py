"""``innovation release …`` from a terminal: clear answers, clear refusals naming the period."""

from __future__ import annotations

import asyncio
import signal
import socket
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from innovation.bootstrap import Services
from innovation.cli import main
from innovation.config import get_settings
from innovation.domain.periods import Cadence
from innovation.outbound.digest import SENDER_LEASE
from tests.helpers import spawn_cli
from tests.integration.world import World
from tests.smtp_server import Mailbox, SmtpServer, free_port


@pytest.fixture
async def validated(world: World) -> str:
    idea_id, _ = await world.validated_idea(title="Alarm triage for the network centre")
    return idea_id


def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.setenv("INNOVATION_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        get_settings.cache_clear()


def test_a_release_is_assembled_shown_and_previewed_from_the_command_line(
    validated: str, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    assembled = invoke(database_url, monkeypatch, "release", "assemble", "--period", "2024-H1")
    shown = invoke(database_url, monkeypatch, "release", "show", "2024-H1")
    preview = invoke(database_url, monkeypatch, "release", "preview")
    delivered = invoke(database_url, monkeypatch, "release", "deliver")

    assert assembled.exit_code == 0, assembled.output
    assert "release 2024-H1: 1 shipped, 0 stopped" in assembled.output
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("# Release 2024-H1")
    assert "Alarm triage for the network centre" in shown.stdout
    assert preview.exit_code == 0, preview.output
    period = Cadence().period_of(datetime.now(UTC))
    closes = period.end.astimezone(ZoneInfo("Europe/Paris"))  # midnight, in the pipeline's zone
    assert f"{period.label} closes {closes:%Y-%m-%d} 00:00 Europe/Paris, in " in preview.output
    assert delivered.exit_code == 0, delivered.output
    assert "sent 0 digest(s)" in delivered.output
    assert "nobody receives digests yet" in delivered.output


def test_deliver_with_a_recipient_says_what_is_pending_and_gives_no_hint(
    validated: str, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    with socket.socket() as closed:  # a port nothing listens on: the send is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("INNOVATION_DIGEST_RECIPIENTS", "board@example.org")
    monkeypatch.setenv("INNOVATION_SMTP_PORT", str(port))
    invoke(database_url, monkeypatch, "release", "assemble", "--period", "2024-H1")

    delivered = invoke(database_url, monkeypatch, "release", "deliver")

    assert delivered.exit_code == 0, delivered.output
    assert "sent 0 digest(s); 1 still pending" in delivered.output
    assert "nobody receives digests" not in delivered.output


async def test_deliver_says_which_process_sends_when_another_holds_the_outbox(
    validated: str, services: Services, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    """A service or ``innovation scheduler`` running holds the outbox: deliver cannot send, and
    said only "still pending (retried with back-off)", as if it had tried."""
    monkeypatch.setenv("INNOVATION_DIGEST_RECIPIENTS", "board@example.org")
    monkeypatch.setenv("INNOVATION_SMTP_PORT", str(free_port()))  # nothing would answer
    lease = await services.readers.claim(SENDER_LEASE)  # as a running service does
    assert lease is not None
    await asyncio.to_thread(
        invoke, database_url, monkeypatch, "release", "assemble", "--period", "2024-H1"
    )

    delivered = await asyncio.to_thread(invoke, database_url, monkeypatch, "release", "deliver")

    said = " ".join(delivered.output.split())
    assert delivered.exit_code == 0, delivered.output
    assert "sent 0 digest(s); 1 still pending, sent by the process that holds the outbox" in said
    assert f"({lease.holder}) as each falls due (within seconds)" in said
    assert "stop it to send them from here at once" in said


def test_a_release_of_an_earlier_cadence_is_still_shown_after_it_changes(
    validated: str, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    invoke(database_url, monkeypatch, "release", "assemble", "--period", "2024-H1")
    monkeypatch.setenv("INNOVATION_RELEASE_CADENCE_MONTHS", "3")

    shown = invoke(database_url, monkeypatch, "release", "show", "2024-H1")

    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("# Release 2024-H1")


@pytest.mark.parametrize(
    ("before_the_end", "says"),
    [
        (timedelta(hours=2), "closes 2025-01-01 00:00 Europe/Paris, within a day"),
        (timedelta(days=1, hours=2), "closes 2025-01-01 00:00 Europe/Paris, in 1 day "),
        (timedelta(days=30), "closes 2025-01-01 00:00 Europe/Paris, in 30 days "),
    ],
)
def test_a_preview_says_when_the_period_closes_on_the_pipeline_s_clock(
    database_url: str, monkeypatch: pytest.MonkeyPatch, before_the_end: timedelta, says: str
):
    h2 = Cadence().parse("2024-H2")
    monkeypatch.setattr("innovation.cli._now", lambda: h2.end - before_the_end)

    preview = invoke(database_url, monkeypatch, "release", "preview")

    assert preview.exit_code == 0, preview.output
    assert preview.output.startswith(f"2024-H2 {says}")


async def test_a_preview_shows_the_day_an_idea_was_validated_on_the_pipeline_s_calendar(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    world.clock.now = datetime(2024, 2, 29, 23, 5, tzinfo=UTC)  # 1 March, 00:05 in Paris
    await world.validated_idea(title="Alarm triage for the network centre")
    monkeypatch.setattr("innovation.cli._now", lambda: datetime(2024, 3, 2, tzinfo=UTC))

    preview = await asyncio.to_thread(invoke, database_url, monkeypatch, "release", "preview")

    assert preview.exit_code == 0, preview.output
    assert "2024-03-01" in preview.output
    assert "2024-02-29" not in preview.output


async def test_a_preview_names_the_ideas_the_ethics_gate_holds_and_counts_the_rest_by_stage(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    await world.validated_idea(title="Alarm triage for the network centre")
    await world.validated_idea(title="Voice bot that answers customers", uses_ai=True)
    for title in ("Fraud calls flagged early", "Solar panels on rural towers"):
        await world.screen(await world.submit(title=title))
    monkeypatch.setattr("innovation.cli._now", lambda: world.clock.now + timedelta(days=1))

    preview = await asyncio.to_thread(invoke, database_url, monkeypatch, "release", "preview")

    said = " ".join(preview.output.split())
    assert preview.exit_code == 0, preview.output
    assert "Alarm triage for the network centre" in said
    assert "Voice bot that answers customers │ ethics required" in said
    assert "not validated yet, so would not ship: 2 ideas (2 SCREENING)" in said
    assert "Fraud calls" not in said  # counted, not listed: a large pipeline has thousands


def test_a_preview_with_nothing_to_ship_says_so_rather_than_drawing_empty_tables(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    preview = invoke(database_url, monkeypatch, "release", "preview")

    assert preview.exit_code == 0, preview.output
    assert "nothing would ship" in preview.output
    assert "would not ship" not in preview.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("release", "assemble", "--period", "2099-H1"), "not over yet"),
        (("release", "assemble", "--period", "2024-X1"), "not a period of this cadence"),
        (("release", "show", "2023-H1"), "no release for 2023-H1"),
        (("release", "show", "first-half"), "not a period of this cadence"),
    ],
)
def test_an_unknown_or_future_period_is_refused_naming_the_period(
    validated: str, database_url: str, monkeypatch: pytest.MonkeyPatch, args, says: str
):
    result = invoke(database_url, monkeypatch, *args)

    assert result.exit_code == 2, result.output
    assert "period" in result.output
    assert says in result.output


async def test_the_scheduler_says_what_comes_next_and_logs_what_it_publishes_and_sends(
    validated: str, database_url: str
):
    """``innovation scheduler`` runs on its own (often as a system service): its log is all an
    operator sees, so each release it publishes and each digest it sends is a line there."""
    with SmtpServer(Mailbox()) as smtp:
        scheduler = await spawn_cli(
            "scheduler",
            env={
                "INNOVATION_DATABASE_URL": database_url,
                "INNOVATION_DIGEST_RECIPIENTS": "board@example.org",
                "INNOVATION_SMTP_HOST": "127.0.0.1",
                "INNOVATION_SMTP_PORT": str(smtp.port),
            },
        )
        assert scheduler.stdout is not None
        lines: list[str] = []
        try:
            async with asyncio.timeout(60):
                while "digest 2024-H1 sent to board@example.org" not in "".join(lines):
                    line = await scheduler.stdout.readline()
                    assert line, "".join(lines)  # it stopped on its own
                    lines.append(line.decode())
        finally:
            scheduler.send_signal(signal.SIGTERM)  # as a service manager stops it
            try:
                rest, _ = await asyncio.wait_for(scheduler.communicate(), timeout=30)
            except TimeoutError:  # never left running against the next test's database
                scheduler.kill()
                rest, _ = await scheduler.communicate()
        output = "".join(lines) + rest.decode()

    now = Cadence().period_of(datetime.now(UTC))
    assert scheduler.returncode == 0, output
    assert lines[0].startswith(f"release scheduler running: {now.label} closes "), output
    assert lines[0].rstrip().endswith("(Ctrl-C stops it)")  # one line, whatever the width
    assert "release 2024-H1 published: 1 idea shipped, 0 stopped" in output
    assert "INFO" in output.split("release 2024-H1 published")[0].splitlines()[-1]
    assert "release scheduler stopped" in output
    assert "2024-H1" in smtp.mailbox.received[0]["Subject"]
