"""A batch writes instants to SQLite as the text SQLAlchemy's own processors would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from innovation.projections.batch import _converter
from innovation.store.tables import UTCDateTime

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


def test_a_naive_instant_is_refused_as_sqlalchemys_processors_refuse_it():
    direct = _converter(UTCDateTime(), DIALECT)

    assert direct is not None
    with pytest.raises(ValueError, match="naive"):
        direct(datetime(2026, 1, 1))
    assert direct(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 00:00:00.000000"
