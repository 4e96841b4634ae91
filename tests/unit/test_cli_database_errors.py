"""A database the CLI cannot reach is a message naming it, its password masked, not a trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from innovation.cli import main
from innovation.config import get_settings

UNREACHABLE = "postgresql://pipeline:s3cret@127.0.0.1:1/innovation"  # nothing listens on port 1


IDEAS = (
    "external_ref,title,summary,source_kind,organisation,country,external,themes\n"
    "lab-1,Alarm triage,Groups alarms into faults.,ACADEMIC,Lab,FR,true,networks-cloud\n"
)


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        (["db", "upgrade"], "is the server up"),
        (["token", "list"], "has `innovation db upgrade` run?"),
        (
            ["import", "ideas.csv"],
            "import the file again once the database answers, and only the rest is written",
        ),
    ],
)
def test_an_unreachable_database_is_named_with_its_password_masked(
    command: list[str], hint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "ideas.csv").write_text(IDEAS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INNOVATION_DATABASE_URL", UNREACHABLE)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(main, command)
    finally:
        get_settings.cache_clear()

    said = " ".join(done.output.split())
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert "cannot use the database postgresql://pipeline:***@127.0.0.1:1/innovation" in said
    assert hint in said
    assert "s3cret" not in done.output
    assert "Traceback" not in done.output


def test_a_database_that_takes_no_writes_is_said_so_not_blamed_on_its_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import sqlite3

    import sqlalchemy as sa

    import innovation.tokens

    refused = sqlite3.OperationalError("database or disk is full")
    refused.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]

    def full(*_: object, **__: object) -> None:
        raise sa.exc.OperationalError("INSERT INTO api_tokens", {}, refused)

    monkeypatch.setenv("INNOVATION_DATABASE_URL", f"sqlite:///{tmp_path / 'full.db'}")
    monkeypatch.setattr(innovation.tokens, "create_token", full)
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
        done = CliRunner().invoke(main, ["token", "create", "--name", "x", "--role", "lead"])
    finally:
        get_settings.cache_clear()

    said = " ".join(done.output.split())
    assert done.exit_code == 1, done.output
    assert "database or disk is full" in said
    assert "the database's disk is full" in said
    assert "INNOVATION_DATABASE_URL" not in said
