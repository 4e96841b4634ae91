"""A batch on SQLite: instants stored and read as SQLAlchemy would, statements compiled once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from innovation.projections import batch
from innovation.projections.batch import Batch, _converter
from innovation.projections.ethics import ethics_reviews_view
from innovation.store.tables import UTCDateTime, metadata

DIALECT = sqlite.dialect()
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(moment=st.datetimes(min_value=datetime(1000, 1, 2), timezones=OFFSETS))
def test_an_instant_is_stored_as_the_same_text_as_through_sqlalchemys_processors(
    moment: datetime,
):
    direct = _converter(UTCDateTime(), DIALECT)
    through_sqlalchemy = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)

    assert direct is not None
    assert through_sqlalchemy is not None
    assert direct(moment) == through_sqlalchemy(moment)
    assert direct(None) is None


@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 2), timezones=OFFSETS | st.none()),
    offset=st.booleans(),
    sep=st.sampled_from([" ", "T"]),
    timespec=st.sampled_from(["auto", "microseconds", "milliseconds", "seconds", "minutes"]),
    zulu=st.booleans(),
)
def test_an_instant_is_read_back_as_through_sqlalchemys_processors(
    moment: datetime, offset: bool, sep: str, timespec: str, zulu: bool
):
    """UTCDateTime reads SQLite's text in one step of its own; SQLAlchemy's way is its
    DateTime's parse, then ``process_result_value``. Text with an offset (written by hand) too,
    and the other ISO forms a hand may write: ``T``, fewer digits, ``Z``, a date alone."""
    if offset or moment.tzinfo is None:
        text = moment.isoformat(sep=sep, timespec=timespec)
    else:
        in_utc = moment.astimezone(UTC)
        text = in_utc.replace(tzinfo=None).isoformat(sep=sep, timespec=timespec)
        if zulu:
            text += "Z"
    as_sqlite_reads_it = UTCDateTime().dialect_impl(DIALECT)
    direct = as_sqlite_reads_it.result_processor(DIALECT, None)
    through_sqlalchemy = sa.TypeDecorator.result_processor(as_sqlite_reads_it, DIALECT, None)

    assert direct is not None
    assert through_sqlalchemy is not None
    for written in (text, text[:10]):
        read = direct(written)
        assert read == through_sqlalchemy(written)
        assert read is not None
        assert read.tzinfo is UTC
    assert direct(None) is None


@given(
    moments=st.lists(
        st.datetimes(min_value=datetime(1000, 1, 2), timezones=OFFSETS | st.none()), max_size=6
    ),
    zone=OFFSETS,
)
def test_instants_in_a_row_each_get_their_own_text_whatever_came_before(
    moments: list[datetime], zone: timezone
):
    """The converter keeps the last instant's text: each moment, again, in another zone (the
    same instant) and naive (refused) right after, is written as SQLAlchemy writes it."""
    direct = _converter(UTCDateTime(), DIALECT)
    through_sqlalchemy = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert direct is not None
    assert through_sqlalchemy is not None
    for moment in moments:
        forms = [moment, moment]
        if moment.tzinfo is not None:
            forms += [moment.astimezone(zone), moment.replace(tzinfo=None)]
        for form in forms:
            if form.tzinfo is None:
                with pytest.raises(ValueError, match="naive"):
                    direct(form)
            else:
                assert direct(form) == through_sqlalchemy(form)


def test_an_instant_written_and_read_through_sqlite_is_the_same_instant():
    engine = sa.create_engine("sqlite://")
    table = sa.Table("instants", sa.MetaData(), sa.Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    written = datetime(2026, 6, 30, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5)))
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"at": written}, {"at": None}])
        read = connection.execute(sa.select(table.c.at)).scalars().all()

    assert read == [written, None]
    assert read[0] is not None
    assert read[0].tzinfo is UTC
    assert read[0].isoformat() == "2026-07-01T04:59:59.999999+00:00"


def test_a_naive_instant_is_refused_as_sqlalchemys_processors_refuse_it():
    direct = _converter(UTCDateTime(), DIALECT)

    assert direct is not None
    with pytest.raises(ValueError, match="naive"):
        direct(datetime(2026, 1, 1))
    assert direct(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 00:00:00.000000"


def test_flushing_batch_after_batch_compiles_each_statement_once():
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine, tables=[ethics_reviews_view])
    review = {"kind": "REQUESTED", "reviewers": [], "actor": "ethics:council"}

    def flush(count: int) -> int:
        with engine.begin() as connection:
            for number in range(count):
                rows = Batch(connection)
                at = datetime(2026, 1, 1, tzinfo=UTC)
                row = {"idea_id": f"idea-{number}", "version": 1, "position": number, "at": at}
                rows[ethics_reviews_view].insert({**review, **row})
                rows.flush()
            connection.execute(ethics_reviews_view.delete())
        return len(batch._PLANS)

    assert flush(3) == flush(30)


def test_a_batch_reads_rows_by_key_by_list_and_by_columns_null_included():
    table = sa.Table(
        "batch_reads",
        sa.MetaData(),
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("team", sa.String, nullable=True),
        sa.Column("n", sa.Integer),
    )
    engine = sa.create_engine("sqlite://")
    table.metadata.create_all(engine)
    stored = [("a", "red", 1), ("b", None, 2), ("c", "red", 3), ("d", None, 4), ("e", "blue", 5)]
    with engine.begin() as connection:
        connection.execute(
            table.insert(), [dict(zip(("id", "team", "n"), r, strict=True)) for r in stored]
        )

    def read() -> tuple[list[int], int | None, int | None, list[int], list[int]]:
        with engine.connect() as connection:
            rows = Batch(connection)[table]
            rows.prefetch("id", ["a", "e", "zz"])
            listed = sorted(row["n"] for row in rows._known.values())
            found, missing = rows.find(("c",)), rows.find(("zz",))
            red = sorted(row["n"] for row in rows.where(team="red"))
            teamless = sorted(row["n"] for row in rows.where(team=None))
            return listed, found and found["n"], missing, red, teamless

    first = read()
    statements = len(batch._SELECTS)

    assert first == ([1, 5], 3, None, [1, 3], [2, 4])
    assert read() == first
    assert len(batch._SELECTS) == statements, "each select is built once"
