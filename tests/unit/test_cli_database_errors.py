"""A database the CLI cannot reach is a message naming it, its password masked, not a trace."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from innovation.cli import main
from innovation.config import get_settings

UNREACHABLE = "postgresql://pipeline:s3cret@127.0.0.1:1/innovation"  # nothing listens on port 1


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        (["db", "upgrade"], "is the server up"),
        (["token", "list"], "has `innovation db upgrade` run?"),
    ],
)
def test_an_unreachable_database_is_named_with_its_password_masked(
    command: list[str], hint: str, monkeypatch: pytest.MonkeyPatch
):
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
