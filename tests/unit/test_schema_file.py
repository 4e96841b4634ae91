"""The committed schema.graphql is exactly what the code serves."""

from pathlib import Path

from innovation.api.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_matches_the_code():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == sdl(), "schema.graphql is stale: run `make schema` and commit it"
