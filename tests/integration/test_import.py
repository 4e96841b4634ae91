"""A scout's spreadsheet in: good rows imported once, every bad row named by line, field, reason."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from innovation.cli import main
from innovation.config import get_settings
from innovation.projections import views
from innovation.projections.ideas import ideas_view
from innovation.store import Database
from innovation.transfer.rows import idea_id_of

DOCS = Path(__file__).parents[2] / "docs"
HEADER = "external_ref,title,summary,source_kind,organisation,country,external,themes,uses_ai\n"
GOOD = "lab-1,Alarm triage for the NOC,Groups alarms into faults.,ACADEMIC,Lab,FR,true,networks-cloud,no\n"  # noqa: E501

MIXED = (
    HEADER.encode()
    + GOOD.encode()  # line 2: good
    + b"lab-2,Fraud calls flagged early,Warns before the ring.,startup,Shield,SN,yes,cybersecurity;customer-experience,true\n"  # noqa: E501
    + b"lab-3,A bad country,Somewhere.,PARTNER,Org,XX,true,networks-cloud,false\n"
    + b"lab-4,An unknown theme,Flying.,PARTNER,Org,DE,true,flying-cars,false\n"
    + GOOD.encode()  # line 6: repeats line 2
    + b"lab-5,Caf\xe9 de la gare,Latin-1 bytes.,PARTNER,Org,FR,true,networks-cloud,false\n"
    + b"lab-6,Not a kind,Who knows.,ALIENS,Org,FR,true,networks-cloud,false\n"
    + b"lab-7,Maybe external,Unsure.,PARTNER,Org,FR,perhaps,networks-cloud,false\n"
    + b"lab-8,Too many cells,One more.,PARTNER,Org,FR,true,networks-cloud,false,extra\n"
    + b'lab-9,"A quote left open,Never closed.,PARTNER,Org,FR,true,networks-cloud,false\n'
    + b"lab-10,Swallowed by the quote,Lost.,PARTNER,Org,FR,true,networks-cloud,false\n"
)


def invoke(database_url: str, *args: str) -> Result:
    """The CLI as a terminal runs it, in a thread of its own (it runs its own event loop)."""

    def run() -> Result:
        return CliRunner().invoke(main, list(args), env={"INNOVATION_DATABASE_URL": database_url})

    get_settings.cache_clear()
    try:
        return run()
    finally:
        get_settings.cache_clear()


async def imported(database: Database) -> dict[str, str]:
    query = sa.select(ideas_view.c.idea_id, ideas_view.c.title)
    return await database.read(lambda c: {row.idea_id: row.title for row in c.execute(query)})


async def log_end(database: Database) -> int:
    return await database.read(database.recorder().last_position)


async def test_good_rows_are_imported_and_every_bad_row_is_named_by_line_field_and_reason(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.csv"
    path.write_bytes(MIXED)

    first = await asyncio.to_thread(
        invoke, database_url, "import", str(path), "--as", "scout:amina"
    )

    assert first.exit_code == 1, first.output
    assert await imported(database) == {
        idea_id_of("lab-1"): "Alarm triage for the NOC",
        idea_id_of("lab-2"): "Fraud calls flagged early",
    }
    said = first.stdout.splitlines()
    assert said == [
        "scouting.csv: line 4, country: country must be an ISO 3166-1 alpha-2 country code, "
        "not 'XX'",
        "scouting.csv: line 5, themes: unknown theme 'flying-cars': choose from "
        "customer-experience, telecom-platforms, cybersecurity, networks-cloud, generative-ai",
        "scouting.csv: line 6, external_ref: 'lab-1' repeats line 2",
        "scouting.csv: line 7, title: is not UTF-8 text (byte 0xE9): save the file as UTF-8",
        "scouting.csv: line 8, source_kind: must be one of STARTUP, PARTNER, ACADEMIC, "
        "OPEN_SOURCE, COMPETITOR, CUSTOMER, EMPLOYEE, OTHER, not 'ALIENS'",
        "scouting.csv: line 9, external: must be true or false, not 'perhaps'",
        "scouting.csv: line 10, row: has 10 cells, the header names 9 columns",
        "scouting.csv: line 11, title: a quote opened here is never closed "
        "(lines 11 to 12 were not read)",
        "scouting.csv: 10 rows: 2 imported, 0 already imported, 8 refused",
    ]


@pytest.mark.parametrize("separator", [";", "\t"], ids=["semicolons", "tabs"])
async def test_a_spreadsheet_saved_with_semicolons_or_tabs_imports_as_with_commas(
    database_url: str, database: Database, tmp_path: Path, separator: str
):
    rows = [
        HEADER.strip().split(","),
        ["lab-1", "Alarm triage, for the NOC", "Groups alarms.", "ACADEMIC", "Lab", "FR", "true"]
        + ["networks-cloud", "no"],
        ["lab-2", "Fraud calls flagged early", "Warns before the ring.", "startup", "Shield"]
        + ["SN", "yes", '"cybersecurity;customer-experience"', "true"],
        ['"A quote left open', "Never closed.", "PARTNER", "Org", "FR", "true"]
        + ["networks-cloud", "false"],
    ]
    path = tmp_path / "scouting.csv"
    path.write_text("\n".join(separator.join(row) for row in rows) + "\n", encoding="utf-8-sig")

    result = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert result.stdout.splitlines() == [
        "scouting.csv: line 4, external_ref: a quote opened here is never closed "
        "(line 4 was not read)",
        "scouting.csv: 3 rows: 2 imported, 0 already imported, 1 refused",
    ]
    assert await imported(database) == {
        idea_id_of("lab-1"): "Alarm triage, for the NOC",
        idea_id_of("lab-2"): "Fraud calls flagged early",
    }
    fraud = await database.read(lambda c: views.idea(c, idea_id_of("lab-2")))
    assert fraud is not None
    assert fraud.themes == ("cybersecurity", "customer-experience")


async def test_a_row_is_refused_with_every_problem_in_it_not_only_the_first(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.csv"
    path.write_bytes(
        HEADER.encode()
        # line 2: three columns that cannot be read, one not UTF-8, one against the rules
        + b"lab-1,Caf\xe9 talk,Unsure.,ALIENS,Org,France,perhaps,networks-cloud,maybe\n"
        # line 3: read well, and refused by the pipeline's rules for three values
        + b"lab-2,X,Somewhere.,PARTNER,Org,XX,true,flying-cars,false\n"
        + GOOD.replace("lab-1", "lab-3").encode()
    )

    done = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert done.exit_code == 1, done.output
    assert await imported(database) == {idea_id_of("lab-3"): "Alarm triage for the NOC"}
    assert done.stdout.splitlines() == [
        "scouting.csv: line 2, title: is not UTF-8 text (byte 0xE9): save the file as UTF-8",
        "scouting.csv: line 2, source_kind: must be one of STARTUP, PARTNER, ACADEMIC, "
        "OPEN_SOURCE, COMPETITOR, CUSTOMER, EMPLOYEE, OTHER, not 'ALIENS'",
        "scouting.csv: line 2, country: country must be an ISO 3166-1 alpha-2 country code, "
        "not 'France'",
        "scouting.csv: line 2, external: must be true or false, not 'perhaps'",
        "scouting.csv: line 2, uses_ai: must be true or false, not 'maybe'",
        "scouting.csv: line 3, title: title must have 3 to 200 characters (it has 1)",
        "scouting.csv: line 3, country: country must be an ISO 3166-1 alpha-2 country code, "
        "not 'XX'",
        "scouting.csv: line 3, themes: unknown theme 'flying-cars': choose from "
        "customer-experience, telecom-platforms, cybersecurity, networks-cloud, generative-ai",
        "scouting.csv: 3 rows: 1 imported, 0 already imported, 2 refused",
    ]


async def test_a_row_missing_required_values_is_told_each_of_them_at_once(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.jsonl"
    # Line 1 names a title that is not text, and leaves out every other required value.
    path.write_text('{"external_ref": "mwc-1", "title": 5}\n', encoding="utf-8")
    short = tmp_path / "scouting.csv"
    short.write_text(HEADER + "lab-1,Alarm triage for the NOC,Groups alarms.,ACADEMIC,Lab,FR\n")

    lines = await asyncio.to_thread(invoke, database_url, "import", str(path))
    cells = await asyncio.to_thread(invoke, database_url, "import", str(short))

    assert lines.stdout.splitlines() == [
        "scouting.jsonl: line 1, title: must be text, not 5",
        "scouting.jsonl: line 1, summary: summary must not be empty",
        "scouting.jsonl: line 1, source_kind: is required: one of STARTUP, PARTNER, ACADEMIC, "
        "OPEN_SOURCE, COMPETITOR, CUSTOMER, EMPLOYEE, OTHER",
        "scouting.jsonl: line 1, organisation: organisation must not be empty",
        "scouting.jsonl: line 1, country: country must be an ISO 3166-1 alpha-2 country code, "
        "not ''",
        "scouting.jsonl: line 1, external: is required: true or false",
        "scouting.jsonl: line 1, themes: themes must name 1 to 5 themes",
        "scouting.jsonl: 1 rows: 0 imported, 0 already imported, 1 refused; "
        "nothing new was written",
    ]
    assert cells.stdout.splitlines() == [
        "scouting.csv: line 2, external: is required: true or false",
        "scouting.csv: line 2, themes: themes must name 1 to 5 themes",
        "scouting.csv: 1 rows: 0 imported, 0 already imported, 1 refused; nothing new was written",
    ]
    assert await imported(database) == {}


async def test_a_second_import_of_the_same_file_writes_nothing_and_says_so(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.csv"
    path.write_bytes(MIXED)
    await asyncio.to_thread(invoke, database_url, "import", str(path))
    end = await log_end(database)

    again = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert await log_end(database) == end
    assert again.stdout.splitlines()[-1] == (
        "scouting.csv: 10 rows: 0 imported, 2 already imported, 8 refused; nothing new was written"
    )


async def test_a_file_imported_again_by_someone_else_is_already_imported_where_unchanged(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.csv"
    # No scout named: the first importer stands in for it. Then one row is changed.
    path.write_text(HEADER + GOOD + GOOD.replace("lab-1", "lab-2"), encoding="utf-8")
    await asyncio.to_thread(invoke, database_url, "import", str(path), "--as", "scout:amina")
    end = await log_end(database)
    changed = GOOD.replace("lab-1", "lab-2").replace("Groups alarms", "Folds alarms")
    path.write_text(HEADER + GOOD + changed, encoding="utf-8")

    again = await asyncio.to_thread(invoke, database_url, "import", str(path), "--as", "lead:kofi")

    assert again.stdout.splitlines() == [
        "scouting.csv: line 3, external_ref: 'lab-2' was imported before with different "
        "content; change the idea through reviseIdea, or give the row a new reference",
        "scouting.csv: 2 rows: 0 imported, 1 already imported, 1 refused; nothing new was written",
    ]
    assert await log_end(database) == end
    idea = await database.read(lambda c: views.idea(c, idea_id_of("lab-1")))
    assert idea is not None
    assert idea.scout == "scout:amina"


async def test_a_row_changed_since_its_import_is_refused_rather_than_dropped(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    await asyncio.to_thread(invoke, database_url, "import", str(path))
    path.write_text(HEADER + GOOD.replace("Groups alarms", "Folds alarms"), encoding="utf-8")

    changed = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert changed.exit_code == 1
    assert "line 2, external_ref: 'lab-1' was imported before with different content" in (
        changed.stdout
    )
    idea = await database.read(lambda c: views.idea(c, idea_id_of("lab-1")))
    assert idea is not None
    assert idea.summary == "Groups alarms into faults."


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (GOOD, "line 1, header: the first line must name the columns"),
        (HEADER.replace("uses_ai", "budget") + GOOD, "line 1, budget: unknown column 'budget'"),
        (HEADER.replace(",themes", "") + GOOD, "line 1, header: misses the columns themes"),
        ("title,summary\nA,B\n", "line 1, header: misses the columns external_ref, source_kind"),
        ("", "line 1, header: the first line must name the columns"),
    ],
    ids=["missing header", "unknown column", "missing column", "missing reference", "empty file"],
)
async def test_a_file_whose_header_is_wrong_imports_nothing(
    database_url: str, database: Database, tmp_path: Path, content: str, says: str
):
    path = tmp_path / "scouting.csv"
    path.write_text(content, encoding="utf-8")

    result = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert result.exit_code == 2
    assert "nothing imported" in result.output
    assert says in " ".join(result.output.split())
    assert await log_end(database) == 0


async def test_the_sample_files_import_with_their_scouts_and_times(
    database_url: str, database: Database
):
    csv_run = await asyncio.to_thread(
        invoke, database_url, "import", str(DOCS / "ideas-sample.csv"), "--as", "scout:kofi"
    )
    jsonl_run = await asyncio.to_thread(
        invoke, database_url, "import", str(DOCS / "ideas-sample.jsonl"), "--as", "scout:kofi"
    )

    assert csv_run.exit_code == 0, csv_run.output
    assert jsonl_run.exit_code == 0, jsonl_run.output
    assert "importing ideas-sample.csv" in csv_run.stderr  # the progress bar
    radio = await database.read(lambda c: views.idea(c, idea_id_of("vivatech-2025-014")))
    assert radio is not None
    assert (radio.scout, radio.submitted_at) == (
        "scout:amina",
        datetime(2025, 6, 12, 10, 30, tzinfo=UTC),
    )
    assert radio.themes == ("networks-cloud",)
    fraud = await database.read(lambda c: views.idea(c, idea_id_of("vivatech-2025-021")))
    assert fraud is not None
    assert fraud.submitted_at == datetime(2025, 6, 13, tzinfo=UTC)
    assert fraud.themes == ("cybersecurity", "customer-experience")
    esim = await database.read(lambda c: views.idea(c, idea_id_of("competitor-watch-2025-002")))
    assert esim is not None
    assert esim.scout == "scout:kofi"
    assert (esim.uses_ai, esim.provenance.url) == (False, None)
    assert len(await imported(database)) == 7


async def test_a_json_lines_file_reports_broken_lines_and_unknown_keys(
    database_url: str, database: Database, tmp_path: Path
):
    good = (DOCS / "ideas-sample.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "scouting.jsonl"
    path.write_text(
        "\n".join([good, '{"external_ref": "x", "budget": 3}', '{"external_ref": "y",', "[1]"]),
        encoding="utf-8",
    )

    result = await asyncio.to_thread(invoke, database_url, "import", str(path))

    lines = result.stdout.splitlines()
    assert lines[0].startswith("scouting.jsonl: line 2, budget: unknown column 'budget'")
    assert lines[1].startswith("scouting.jsonl: line 3, row: is not JSON")
    assert lines[2] == "scouting.jsonl: line 4, row: must be a JSON object"
    assert lines[3] == "scouting.jsonl: 4 rows: 1 imported, 0 already imported, 3 refused"
    assert list(await imported(database)) == [idea_id_of("mwc-2025-031")]


HIDDEN = "external_ref: external_ref must not hold control or bidirectional-override characters"


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        # JSON lets the escape of half a pair through (``json.dumps`` writes it as ``\ud800``).
        (
            "mwc-2025-\ud800",
            "external_ref: writes half of a UTF-16 surrogate pair (\\ud800) without the other:"
            " not text",
        ),
        ("mwc-2025-\x1b[2K031", f"{HIDDEN}; it holds U+001B"),
        ("mwc-\u202e130-5202", f"{HIDDEN}; it holds U+202E"),
    ],
    ids=["half a surrogate pair", "an escape sequence", "a right-to-left override"],
)
async def test_a_reference_that_is_not_plain_text_is_refused_naming_its_column(
    database_url: str, database: Database, tmp_path: Path, reference: str, said: str
):
    good = (DOCS / "ideas-sample.jsonl").read_text(encoding="utf-8").splitlines()[0]
    written = good.replace('"mwc-2025-031"', json.dumps(reference))
    assert written != good
    path = tmp_path / "scouting.jsonl"
    path.write_text("\n".join([written, good]), encoding="utf-8")

    result = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"scouting.jsonl: line 1, {said}"
    assert lines[1] == "scouting.jsonl: 2 rows: 1 imported, 0 already imported, 1 refused"
    assert list(await imported(database)) == [idea_id_of("mwc-2025-031")]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("scouting.csv", (HEADER + GOOD).encode("utf-16"), "line 1, header: is not UTF-8 text"),
        ("scouting.txt", (HEADER + GOOD).encode(), "name it .csv or .jsonl"),
    ],
    ids=["a UTF-16 file", "an unknown extension"],
)
async def test_a_file_in_another_encoding_or_format_imports_nothing(
    database_url: str, database: Database, tmp_path: Path, name: str, content: bytes, says: str
):
    path = tmp_path / name
    path.write_bytes(content)

    result = await asyncio.to_thread(invoke, database_url, "import", str(path))

    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
    assert await log_end(database) == 0


async def test_the_importer_is_a_role_and_a_name_and_a_bare_scout_name_is_a_scout(
    database_url: str, database: Database, tmp_path: Path
):
    path = tmp_path / "scouting.csv"
    path.write_text(
        HEADER.replace("uses_ai", "scout") + GOOD.replace(",no\n", ",kofi\n"), encoding="utf-8"
    )

    refused = await asyncio.to_thread(invoke, database_url, "import", str(path), "--as", "amina")
    reader = await asyncio.to_thread(
        invoke, database_url, "import", str(path), "--as", "executive:eve"
    )
    escaped = await asyncio.to_thread(
        invoke, database_url, "import", str(path), "--as", "lead:lea\x1b[8m"
    )
    undecoded = await asyncio.to_thread(  # bytes that were not UTF-8, as Python hands them on
        invoke, database_url, "import", str(path), "--as", "lead:lea\udcff"
    )
    done = await asyncio.to_thread(invoke, database_url, "import", str(path), "--as", "lead:lea")

    assert refused.exit_code == 2
    assert "must read role:name" in refused.output
    assert reader.exit_code == 2
    assert "the executive role does not submit ideas" in reader.output
    for hidden, code in ((escaped, "U+001B"), (undecoded, "U+DCFF")):
        assert hidden.exit_code == 2, hidden.output
        assert "Traceback" not in hidden.output
        assert code in hidden.output
    assert done.exit_code == 0, done.output
    idea = await database.read(lambda c: views.idea(c, idea_id_of("lab-1")))
    assert idea is not None
    assert (idea.scout, idea.submitted_by) == ("scout:kofi", "lead:lea")
