"""Fixtures: one throwaway PostGIS per session, migrated once; a rolled-back transaction per test.

A missing PostgreSQL/PostGIS is an error, never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine

from gis_server.app import create_app
from gis_server.migrate import upgrade
from gis_server.settings import Settings
from tests.utils.database import RollbackDatabase, throwaway_cluster


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with throwaway_cluster() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(environment="test", database_url=database_url, _env_file=None)


@pytest.fixture
def client(settings: Settings, conn: Connection) -> Iterator[TestClient]:
    app = create_app(settings, database=RollbackDatabase(conn))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
