"""Fixtures: one throwaway PostGIS per session, migrated once; a rolled-back transaction per test.

Migrated as the schema owner; the app and the tests' ``engine`` connect as the service's login role
(DML grants only), as in production. A missing PostgreSQL/PostGIS is an error, never a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine

from gis_server.accounts.security import issue_token
from gis_server.app import create_app
from gis_server.db import SESSION_OPTIONS
from gis_server.migrate import upgrade
from gis_server.settings import Settings
from tests.utils.accounts import ADMIN_CASE_OFFICE, create_role_accounts
from tests.utils.database import ROLES, DatabaseUrls, RollbackDatabase, throwaway_cluster

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_urls() -> Iterator[DatabaseUrls]:
    """The test database as the superuser, the schema owner and the app role."""
    with throwaway_cluster() as urls:
        upgrade(urls.owner, roles=ROLES)
        yield urls


@pytest.fixture(scope="session")
def database_url(database_urls: DatabaseUrls) -> str:
    """The service's URL: the app role."""
    return database_urls.app


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url, connect_args={"options": SESSION_OPTIONS})  # as the app's sessions
    with engine.begin() as connection:  # one account per role, named after it, kept for the session
        create_role_accounts(connection, PASSWORD)
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
def anonymous(settings: Settings, conn: Connection) -> Iterator[TestClient]:
    """A client with no credentials, on the test's rolled-back transaction."""
    app = create_app(settings, database=RollbackDatabase(conn))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(settings: Settings, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings.secret_key, username, 600)}"}


@pytest.fixture
def client(anonymous: TestClient, settings: Settings) -> TestClient:
    """Signed in as an administrator who also holds the case office (may read and write every layer)."""
    anonymous.headers.update(bearer(settings, ADMIN_CASE_OFFICE))
    return anonymous


@pytest.fixture
def client_as(settings: Settings, conn: Connection) -> Iterator[Callable[[str], TestClient]]:
    """``client_as("viewer")``: a client signed in as the account named after a role."""
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        test_client = TestClient(create_app(settings, database=RollbackDatabase(conn)),
                                 raise_server_exceptions=False)
        test_client.__enter__()
        test_client.headers.update(bearer(settings, username))
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)
