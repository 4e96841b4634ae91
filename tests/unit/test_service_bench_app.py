"""The bench's app builds from the product's own factory, so a changed factory fails here first."""

from __future__ import annotations

from bench.service.app import create
from innovation.api.schema import sdl


def test_the_bench_app_serves_its_ceilings_beside_the_product_without_changing_the_schema() -> None:
    app = create()

    paths = {route.path for route in app.routes}

    assert {"/graphql", "/bench/plain", "/bench/strawberry", "/bench/graphql"} <= paths
    assert "noopSubmitIdea" not in sdl()
