"""A served app tunes the garbage collector for its lifetime (``settle_collector``)."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from innovation.api.app import YOUNG_COLLECTION_EVERY, create_app
from innovation.config import DatabaseSettings, ReleaseSettings, Settings


@pytest.fixture
def collector_as_found() -> Iterator[None]:
    """The collector's thresholds and frozen heap given back as the test found them."""
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    yield
    gc.set_threshold(*thresholds)
    if not frozen:
        gc.unfreeze()


@pytest.mark.usefixtures("collector_as_found")
async def test_a_served_app_collects_its_youngest_objects_less_often(
    sqlite_template: Path, tmp_path: Path
) -> None:
    target = tmp_path / "innovation.db"
    shutil.copyfile(sqlite_template, target)
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{target}"),
        releases=ReleaseSettings(scheduler=False),
    )
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # Python's defaults, whatever ran before in this process
    app = create_app(settings)
    assert gc.get_threshold() == (700, 10, 10)  # nothing changes until it serves
    async with app.lifespan():
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, 10, 10)
        assert gc.get_freeze_count() > 0  # and what start-up made is left out of its passes
