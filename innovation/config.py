"""Settings from ``INNOVATION_*`` environment variables, read once; defaults run on SQLite.

Every field is documented in the README's configuration table; a bad value fails at start-up
with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_THEMES = (
    "customer-experience",
    "telecom-platforms",
    "cybersecurity",
    "networks-cloud",
    "generative-ai",
)


def is_email_address(value: str) -> bool:
    """Whether ``value`` looks like ``local@domain``: a mail server judges the rest."""
    local, at, domain = value.rpartition("@")
    return bool(local and at and domain) and not any(c.isspace() for c in value)


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/innovation.db"
    """INNOVATION_DATABASE_URL: ``sqlite:///path`` (embedded) or ``postgresql://user@host/db``."""
    sqlite_synchronous: str = "FULL"
    """INNOVATION_SQLITE_SYNCHRONOUS: SQLite's ``synchronous`` pragma (WAL mode is always on)."""
    pool_size: int = 10
    """INNOVATION_DB_POOL_SIZE: PostgreSQL; each process keeps up to twice this many
    connections once bursts open them (its reads, and its two writers' connections)."""
    timeout: float = 30.0
    """INNOVATION_DB_TIMEOUT: PostgreSQL; seconds a connection may take to open and a statement
    to answer before the service gives up on it (SQLite's write lock waits as long): a network
    cut that sends no reset would otherwise leave requests waiting for ever."""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    """INNOVATION_HOST: address the HTTP server listens on."""
    port: int = 8000
    """INNOVATION_PORT: port the HTTP server listens on."""


@dataclass(frozen=True)
class PipelineSettings:
    themes: tuple[str, ...] = DEFAULT_THEMES
    """INNOVATION_THEMES: comma-separated list of the themes an idea may carry."""
    timezone: str = "Europe/Paris"
    """INNOVATION_TIMEZONE: the zone in which periods and dates are computed."""
    snapshot_every: int = 50
    """INNOVATION_SNAPSHOT_EVERY: write a stream snapshot every N events (0 turns it off)."""


@dataclass(frozen=True)
class ReleaseSettings:
    cadence_months: int = 6
    """INNOVATION_RELEASE_CADENCE_MONTHS: how long a release period lasts (1, 2, 3, 4, 6 or 12)."""
    scheduler: bool = True
    """INNOVATION_SCHEDULER: ``on`` runs the release scheduler inside the service process."""
    public_url: str = "http://127.0.0.1:8000"
    """INNOVATION_PUBLIC_URL: the service's address as readers reach it, for links in e-mail
    (default: http://INNOVATION_HOST:INNOVATION_PORT)."""
    smtp_host: str = "localhost"
    """INNOVATION_SMTP_HOST: the mail server that delivers the digest."""
    smtp_port: int = 25
    """INNOVATION_SMTP_PORT."""
    smtp_user: str | None = None
    """INNOVATION_SMTP_USER: log in as this user (with INNOVATION_SMTP_PASSWORD), if set."""
    smtp_password: str | None = None
    """INNOVATION_SMTP_PASSWORD."""
    smtp_tls: str = "off"
    """INNOVATION_SMTP_TLS: ``off``, ``starttls`` or ``implicit``."""
    sender: str = "innovation@localhost"
    """INNOVATION_DIGEST_SENDER: the digest's From address."""
    recipients: tuple[str, ...] = ()
    """INNOVATION_DIGEST_RECIPIENTS: addresses that get every digest, besides executives."""


@dataclass(frozen=True)
class ApiSettings:
    max_depth: int = 12
    """INNOVATION_API_MAX_DEPTH: deepest GraphQL selection accepted."""
    max_aliases: int = 30
    """INNOVATION_API_MAX_ALIASES: most field aliases in one GraphQL document."""
    max_tokens: int = 2000
    """INNOVATION_API_MAX_TOKENS: most lexical tokens in one GraphQL document."""
    max_body_bytes: int = 256 * 1024
    """INNOVATION_API_MAX_BODY_BYTES: largest request body accepted (413 above)."""
    token_cache_seconds: float = 5.0
    """INNOVATION_TOKEN_CACHE_SECONDS: how long a process trusts a token it has checked (a
    revocation by another process takes effect within it; 0 checks every request)."""
    answer_cache_mb: int = 64
    """INNOVATION_ANSWER_CACHE_MB: memory for answers kept to serve repeated queries (0: none;
    ``ETag`` and 304 work either way)."""

    @property
    def answer_cache_bytes(self) -> int:
        return self.answer_cache_mb * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    releases: ReleaseSettings = field(default_factory=ReleaseSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        read = _Reader(env)
        server = ServerSettings(
            host=read.text("INNOVATION_HOST", ServerSettings.host),
            port=read.integer("INNOVATION_PORT", ServerSettings.port, 1, 65535),
        )
        settings = cls(
            database=DatabaseSettings(
                url=read.database_url("INNOVATION_DATABASE_URL", DatabaseSettings.url),
                sqlite_synchronous=read.choice(
                    "INNOVATION_SQLITE_SYNCHRONOUS",
                    DatabaseSettings.sqlite_synchronous,
                    ("OFF", "NORMAL", "FULL", "EXTRA"),
                ),
                pool_size=read.integer("INNOVATION_DB_POOL_SIZE", DatabaseSettings.pool_size, 1),
                timeout=read.number("INNOVATION_DB_TIMEOUT", DatabaseSettings.timeout, 1, 86400),
            ),
            server=server,
            pipeline=PipelineSettings(
                themes=read.items("INNOVATION_THEMES", DEFAULT_THEMES),
                timezone=read.zone("INNOVATION_TIMEZONE", PipelineSettings.timezone),
                snapshot_every=read.integer(
                    "INNOVATION_SNAPSHOT_EVERY", PipelineSettings.snapshot_every, 0
                ),
            ),
            releases=ReleaseSettings(
                cadence_months=read.months_dividing_a_year(
                    "INNOVATION_RELEASE_CADENCE_MONTHS", ReleaseSettings.cadence_months
                ),
                scheduler=read.switch("INNOVATION_SCHEDULER", ReleaseSettings.scheduler),
                public_url=read.web_address("INNOVATION_PUBLIC_URL")
                or f"http://{server.host}:{server.port}",
                smtp_host=read.text("INNOVATION_SMTP_HOST", ReleaseSettings.smtp_host),
                smtp_port=read.integer("INNOVATION_SMTP_PORT", ReleaseSettings.smtp_port, 1, 65535),
                smtp_user=read.optional("INNOVATION_SMTP_USER"),
                smtp_password=read.optional("INNOVATION_SMTP_PASSWORD"),
                smtp_tls=read.choice(
                    "INNOVATION_SMTP_TLS", "OFF", ("OFF", "STARTTLS", "IMPLICIT")
                ).lower(),
                sender=read.address("INNOVATION_DIGEST_SENDER", ReleaseSettings.sender),
                recipients=read.addresses("INNOVATION_DIGEST_RECIPIENTS"),
            ),
            api=ApiSettings(
                max_depth=read.integer("INNOVATION_API_MAX_DEPTH", ApiSettings.max_depth, 2),
                max_aliases=read.integer("INNOVATION_API_MAX_ALIASES", ApiSettings.max_aliases, 0),
                max_tokens=read.integer("INNOVATION_API_MAX_TOKENS", ApiSettings.max_tokens, 50),
                max_body_bytes=read.integer(
                    "INNOVATION_API_MAX_BODY_BYTES", ApiSettings.max_body_bytes, 1024
                ),
                token_cache_seconds=read.number(
                    "INNOVATION_TOKEN_CACHE_SECONDS", ApiSettings.token_cache_seconds, 0, 3600
                ),
                answer_cache_mb=read.integer(
                    "INNOVATION_ANSWER_CACHE_MB", ApiSettings.answer_cache_mb, 0
                ),
            ),
        )
        return settings


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def _raw(self, name: str) -> str | None:
        value = self.env.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def optional(self, name: str) -> str | None:
        return self._raw(name)

    def switch(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() in {"on", "true", "yes", "1"}:
            return True
        if raw.lower() in {"off", "false", "no", "0"}:
            return False
        raise SettingsError(f"{name}: {raw!r} is neither on nor off")

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SettingsError(f"{name}: {value} must be {bound}")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a number") from None
        if not low <= value <= high:
            raise SettingsError(f"{name}: {value:g} must be between {low:g} and {high:g}")
        return value

    def months_dividing_a_year(self, name: str, default: int) -> int:
        value = self.integer(name, default, 1, 12)
        if 12 % value:
            raise SettingsError(f"{name}: {value} does not divide a year (1, 2, 3, 4, 6 or 12)")
        return value

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.upper() not in allowed:
            raise SettingsError(f"{name}: {raw!r} is not one of {', '.join(allowed)}")
        return raw.upper()

    def items(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self._raw(name)
        if raw is None:
            return default
        values = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
        if not values:
            raise SettingsError(f"{name}: give at least one value, separated by commas")
        return values

    def addresses(self, name: str) -> tuple[str, ...]:
        values = self.items(name, ()) if self._raw(name) else ()
        for value in values:
            if not is_email_address(value):
                raise SettingsError(f"{name}: {value!r} is not an e-mail address")
        return values

    def address(self, name: str, default: str) -> str:
        """An e-mail address, with a display name or without: ``Innovation <noreply@x.org>``."""
        value = self.text(name, default)
        if not is_email_address(parseaddr(value)[1]):
            raise SettingsError(f"{name}: {value!r} is not an e-mail address")
        return value

    def web_address(self, name: str) -> str | None:
        """An absolute http(s) address without a trailing slash, as links are made from it."""
        raw = self._raw(name)
        if raw is None:
            return None
        parsed = urlsplit(raw)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SettingsError(
                f"{name}: {raw!r} is not an http(s) address: write it in full, like "
                "https://innovation.example.org"
            )
        if parsed.query or parsed.fragment:
            raise SettingsError(f"{name}: {raw!r} holds a query or fragment: links go after it")
        return raw.rstrip("/")

    def database_url(self, name: str, default: str) -> str:
        """A URL of one of the two backends (any driver: ``postgresql+asyncpg://…`` too)."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        raw = self._raw(name) or default
        try:
            backend = make_url(raw).get_backend_name()
        except ArgumentError:
            raise SettingsError(  # not echoed: a URL may hold a password
                f"{name}: not a database URL: write sqlite:///path/to/file.db or "
                "postgresql://user:password@host/database"
            ) from None
        if backend not in ("sqlite", "postgresql"):
            raise SettingsError(
                f"{name}: unsupported database {backend!r}: use sqlite or postgresql"
            )
        return raw

    def zone(self, name: str, default: str) -> str:
        raw = self._raw(name) or default
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{name}: {raw!r} is not a known time zone") from None
        return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_env()
