"""Settings come from INNOVATION_* variables; a bad value names its variable."""

from __future__ import annotations

import pytest

from innovation.config import DEFAULT_THEMES, Settings, SettingsError


def test_defaults_run_on_an_embedded_sqlite_file():
    settings = Settings.from_env({})

    assert settings.database.url.startswith("sqlite:///")
    assert settings.pipeline.themes == DEFAULT_THEMES
    assert settings.pipeline.timezone == "Europe/Paris"
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)
    assert settings.releases.cadence_months == 6


def test_themes_are_a_comma_separated_list_without_repeats():
    settings = Settings.from_env({"INNOVATION_THEMES": " a, b ,a,, c "})

    assert settings.pipeline.themes == ("a", "b", "c")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("INNOVATION_PORT", "http", "not a whole number"),
        ("INNOVATION_PORT", "70000", "between 1 and 65535"),
        ("INNOVATION_SQLITE_SYNCHRONOUS", "sometimes", "not one of"),
        ("INNOVATION_TIMEZONE", "Mars/Olympus", "not a known time zone"),
        ("INNOVATION_THEMES", " , ", "at least one value"),
        ("INNOVATION_DB_POOL_SIZE", "0", "at least 1"),
        ("INNOVATION_DB_TIMEOUT", "forever", "not a number"),
        ("INNOVATION_DB_TIMEOUT", "0", "between 1 and 86400"),
        ("INNOVATION_RELEASE_CADENCE_MONTHS", "5", "does not divide a year"),
        ("INNOVATION_RELEASE_CADENCE_MONTHS", "24", "between 1 and 12"),
        ("INNOVATION_SCHEDULER", "sometimes", "neither on nor off"),
        ("INNOVATION_SMTP_TLS", "ssl3", "not one of"),
        ("INNOVATION_DIGEST_RECIPIENTS", "ceo@example.org, board", "not an e-mail address"),
        ("INNOVATION_DIGEST_SENDER", "innovation", "not an e-mail address"),
        ("INNOVATION_PUBLIC_URL", "innovation.example.org", "write it in full, like https://"),
        ("INNOVATION_PUBLIC_URL", "ftp://innovation.example.org", "not an http(s) address"),
        ("INNOVATION_PUBLIC_URL", "https://", "not an http(s) address"),
        ("INNOVATION_PUBLIC_URL", "https://example.org/?x=1", "holds a query or fragment"),
        ("INNOVATION_TOKEN_CACHE_SECONDS", "soon", "not a number"),
        ("INNOVATION_TOKEN_CACHE_SECONDS", "-1", "between 0 and 3600"),
        ("INNOVATION_DATABASE_URL", "mysql://app:secret@db/pipeline", "unsupported database"),
        ("INNOVATION_DATABASE_URL", "db.example.org:5432", "not a database URL"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_name(name: str, value: str, says: str):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value})

    assert name in str(refused.value)
    assert says in str(refused.value)


def test_a_database_url_is_either_backend_with_any_driver_and_never_echoed_when_refused():
    for url in ("sqlite:////srv/innovation.db", "postgresql+asyncpg://app@db/pipeline"):
        assert Settings.from_env({"INNOVATION_DATABASE_URL": url}).database.url == url
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"INNOVATION_DATABASE_URL": "postgres ql://app:s3cret@db/pipeline"})

    assert "s3cret" not in str(refused.value)


def test_a_quarterly_cadence_can_be_chosen():
    settings = Settings.from_env({"INNOVATION_RELEASE_CADENCE_MONTHS": "3"})

    assert settings.releases.cadence_months == 3


@pytest.mark.parametrize(
    "sender", ["noreply@example.org", "Innovation pipeline <noreply@example.org>"]
)
def test_the_digest_s_sender_may_carry_a_display_name(sender: str):
    settings = Settings.from_env({"INNOVATION_DIGEST_SENDER": sender})

    assert settings.releases.sender == sender


def test_release_delivery_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "INNOVATION_SCHEDULER": "off",
            "INNOVATION_SMTP_HOST": "mail.example.org",
            "INNOVATION_SMTP_PORT": "587",
            "INNOVATION_SMTP_TLS": "starttls",
            "INNOVATION_DIGEST_RECIPIENTS": "ceo@example.org, board@example.org",
            "INNOVATION_PUBLIC_URL": "https://innovation.example.org/",
        }
    ).releases

    assert settings.scheduler is False
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == (
        "mail.example.org",
        587,
        "starttls",
    )
    assert settings.recipients == ("ceo@example.org", "board@example.org")
    assert settings.public_url == "https://innovation.example.org"
    assert Settings.from_env({}).releases.scheduler is True


def test_the_token_cache_lasts_a_few_seconds_unless_told_otherwise():
    assert Settings.from_env({}).api.token_cache_seconds == 5
    assert (
        Settings.from_env({"INNOVATION_TOKEN_CACHE_SECONDS": "0.5"}).api.token_cache_seconds == 0.5
    )
