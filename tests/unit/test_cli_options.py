"""Options a terminal user can mistype are refused by name before anything starts."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import innovation.serving
from innovation.cli import main


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
