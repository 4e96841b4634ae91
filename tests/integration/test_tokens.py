"""API tokens: the secret is shown once and only its SHA-256 digest is stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from innovation.cli import main
from innovation.config import get_settings
from innovation.store import Database
from innovation.tokens import (
    UnknownRoleError,
    api_tokens,
    authenticate,
    create_token,
    list_tokens,
    revoke_token,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)


async def test_only_the_digest_of_a_token_is_stored(database: Database):
    _principal, secret = await database.write(
        lambda c: create_token(c, name="ada", role="lead", email=None, now=NOW)
    )

    rows = await database.read(lambda c: [tuple(row) for row in c.execute(api_tokens.select())])

    [row] = rows
    assert secret not in [str(value) for value in row]
    assert hashlib.sha256(secret.encode()).hexdigest() in row


async def test_a_token_authenticates_until_it_is_revoked(database: Database):
    principal, secret = await database.write(
        lambda c: create_token(c, name="ada", role="lead", email="ada@example.org", now=NOW)
    )

    assert await database.read(lambda c: authenticate(c, secret)) == principal
    assert await database.read(lambda c: authenticate(c, secret[:-1] + "x")) is None
    assert await database.read(lambda c: authenticate(c, "not-a-token")) is None

    assert await database.write(lambda c: revoke_token(c, "ada", NOW)) == 1
    assert await database.read(lambda c: authenticate(c, secret)) is None
    [info] = await database.read(list_tokens)
    assert info.revoked_at == NOW


async def test_an_unknown_role_is_refused(database: Database):
    with pytest.raises(UnknownRoleError):
        await database.write(lambda c: create_token(c, name="x", role="boss", email=None, now=NOW))


def test_the_cli_prints_a_new_secret_once_and_lists_without_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INNOVATION_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        created = runner.invoke(main, ["token", "create", "--name", "cli", "--role", "Scout"])
        listed = runner.invoke(main, ["token", "list"])
        revoked = runner.invoke(main, ["token", "revoke", "cli"])
        again = runner.invoke(main, ["token", "revoke", "cli"])
    finally:
        get_settings.cache_clear()

    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("inv_")
    assert "created scout token for cli" in created.output  # the role in any case
    assert "cli" in listed.output
    assert secret not in listed.output
    token_id = created.output.split("(")[1].split(")")[0]  # "created scout token for cli (<id>)"
    assert token_id in listed.output, "the id comes out whole on an 80-column terminal"
    assert revoked.exit_code == 0
    assert again.exit_code == 1


def test_the_cli_revokes_nothing_by_a_name_no_token_can_hold(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INNOVATION_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(main, ["token", "revoke", "cli\udcff"])
    finally:
        get_settings.cache_clear()

    assert refused.exit_code == 1, refused.output
    assert "no live token with id or name 'cli\\udcff'" in refused.output


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--name", "  ", "--role", "scout"), "name: a token needs a name"),
        (("--name", "x" * 101, "--role", "scout"), "name: at most 100 characters, not 101"),
        (("--name", "Board", "--role", "executive", "--email", "board"), "email: 'board' is"),
        # a name shows in every event its holder writes: no terminal escapes, no bytes that
        # were not UTF-8 (which a shell hands Python as lone surrogates)
        (("--name", "Board\x1b[8m", "--role", "scout"), "name: name must not hold control"),
        (("--name", "Board\udcff", "--role", "scout"), "U+DCFF"),
    ],
)
def test_the_cli_refuses_a_token_it_cannot_create_naming_the_option(
    database_url: str, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], says: str
):
    monkeypatch.setenv("INNOVATION_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(main, ["token", "create", *options])
        listed = CliRunner().invoke(main, ["token", "list"])
    finally:
        get_settings.cache_clear()

    assert refused.exit_code == 2, refused.output
    assert says in refused.output
    assert "Traceback" not in refused.output
    assert "Board" not in listed.output
    assert "xxxx" not in listed.output
