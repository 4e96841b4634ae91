"""Options a terminal user can mistype are refused by name before anything starts."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

import innovation.serving
from innovation.cli import main
from innovation.config import get_settings
from innovation.serving import public_url_note


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--port", "70000"), "'--port': 70000 is not in the range 1<=x<=65535"),
        (("--port", "0"), "'--port': 0 is not in the range"),
        (("--workers", "0"), "'--workers': 0 is not in the range x>=1"),
    ],
)
def test_serve_refuses_a_port_or_worker_count_that_cannot_be(
    monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], says: str
):
    served: list[tuple[object, ...]] = []
    monkeypatch.setattr(innovation.serving, "serve", lambda *args, **kw: served.append(args))

    result = CliRunner().invoke(main, ["serve", *options])

    assert result.exit_code == 2, result.output
    assert says in result.output
    assert served == []


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_already_listened_on_is_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, command: str
):
    served: list[tuple[object, ...]] = []
    monkeypatch.setattr(innovation.serving, "serve", lambda *args, **kw: served.append(args))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"INNOVATION_PORT": str(port), "INNOVATION_DATABASE_URL": "sqlite:///:memory:"}
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(main, [command], env=env)
        finally:
            get_settings.cache_clear()

    assert result.exit_code == 1
    assert str(result.exception) == f"cannot listen on 127.0.0.1:{port}: Address already in use"
    assert served == []
    assert "demo tokens" not in result.output


@pytest.mark.parametrize(
    ("host", "public", "noted"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000", False),  # make run: everything on this machine
        ("localhost", "http://localhost:8000", False),
        ("0.0.0.0", "http://127.0.0.1:8000", True),  # listening for others, linking to itself
        ("0.0.0.0", "http://0.0.0.0:8000", True),
        ("::", "http://[::1]:8000", True),
        ("10.0.0.5", "http://localhost:8000", True),
        ("0.0.0.0", "https://innovation.example.org", False),
        ("0.0.0.0", "http://10.0.0.5:8000", False),
        ("innovation.internal", "http://innovation.internal:8000", False),
    ],
)
def test_serving_beyond_this_machine_with_links_back_to_it_is_noted(
    host: str, public: str, noted: bool
):
    note = public_url_note(host, public)

    assert (note is not None) == noted
    if note is not None:
        assert public in note
        assert "INNOVATION_PUBLIC_URL" in note
