"""The demo dataset, loaded once per session into its own database ``gis_demo`` of the test server.

The main test database stays empty: other tests rely on that.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from importers.demo import load_demo
from tests.utils.database import committed_database

DEMO_DB = "gis_demo"


@pytest.fixture(scope="session")
def demo_url(database_url: str) -> Iterator[str]:
    """The owner's URL: the demo loader runs as the schema owner (``haicheng-gis demo load``)."""
    with committed_database(database_url, DEMO_DB, as_owner=True) as url:
        yield url


@pytest.fixture(scope="session")
def demo_load(demo_url: str) -> Iterator[tuple[Engine, dict[str, int], float, list[str]]]:
    engine = create_engine(demo_url, connect_args={"options": "-c jit=off"})
    lines: list[str] = []
    start = time.perf_counter()
    counts = load_demo(engine, echo=lines.append)
    seconds = time.perf_counter() - start
    yield engine, counts, seconds, lines
    engine.dispose()


@pytest.fixture(scope="session")
def demo_engine(demo_load: tuple) -> Engine:
    return demo_load[0]
