"""The demo dataset, loaded once per session into its own database ``gis_demo`` of the test server.

The main test database stays empty: other tests rely on that.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from gis_server.migrate import upgrade
from importers.demo import load_demo

DEMO_DB = "gis_demo"


@pytest.fixture(scope="session")
def demo_url(database_url: str) -> str:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DEMO_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DEMO_DB}"))
    admin.dispose()
    url = make_url(database_url).set(database=DEMO_DB).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        for ext in ("postgis", "pg_trgm"):
            conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
    engine.dispose()
    upgrade(url)
    return url


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
