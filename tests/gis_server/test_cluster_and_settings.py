"""The embedded cluster and the settings checks."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from gis_server.cluster import Cluster
from gis_server.db_roles import DatabaseRoles
from gis_server.settings import Settings
from tests.utils.database import free_port


def test_cluster_up_is_a_noop_when_running_and_down_stops_it(tmp_path):
    tmp_path.chmod(0o755)
    cluster = Cluster.for_data_dir(tmp_path, free_port(), "probe", fast_unsafe=True)
    try:
        assert cluster.up() is True
        assert cluster.status()["running"] is True
        assert cluster.up() is False
        assert cluster.down() is True
        assert cluster.status() == {"pgdata": str(cluster.pgdata), "port": cluster.port, "initialised": True,
                                    "running": False, "database": "probe"}
        assert cluster.up() is True  # restarts the existing cluster
    finally:
        cluster.destroy()


def test_production_refuses_the_default_secret():
    with pytest.raises(ValidationError, match="GIS_SECRET_KEY"):
        Settings(environment="production", personal_data_key="k" * 32, _env_file=None)
    with pytest.raises(ValidationError, match="GIS_PERSONAL_DATA_KEY"):
        Settings(environment="production", secret_key="x" * 32, _env_file=None)
    Settings(environment="production", secret_key="x" * 32, personal_data_key="k" * 32, _env_file=None)


def test_contradicting_page_limits_are_refused():
    with pytest.raises(ValidationError):
        Settings(page_limit_default=10, page_limit_max=5, _env_file=None)


def test_database_url_replaces_the_embedded_cluster():
    settings = Settings(database_url="postgresql+psycopg://u@db:5432/x", _env_file=None)
    assert not settings.uses_embedded_db
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@db:5432/x"
    assert settings.owner_sqlalchemy_url == "postgresql+psycopg://u@db:5432/x"  # one role for both
    both = Settings(database_url="postgresql+psycopg://app@db/x", database_owner_url="postgresql+psycopg://own@db/x",
                    _env_file=None)
    assert (both.sqlalchemy_url, both.owner_sqlalchemy_url) == ("postgresql+psycopg://app@db/x",
                                                                "postgresql+psycopg://own@db/x")


def test_the_embedded_cluster_is_used_as_the_app_role_and_migrated_as_the_owner(tmp_path):
    settings = Settings(data_dir=tmp_path, _env_file=None)
    # before the first ``db up`` there is no password yet
    assert settings.sqlalchemy_url == "postgresql+psycopg://haicheng_app@127.0.0.1:54329/haicheng_gis"
    settings.db_passwords_file.write_text(json.dumps({"haicheng_app": "a/b@c", "haicheng_owner": "o"}))
    assert settings.sqlalchemy_url == "postgresql+psycopg://haicheng_app:a%2Fb%40c@127.0.0.1:54329/haicheng_gis"
    assert settings.owner_sqlalchemy_url == "postgresql+psycopg://haicheng_owner:o@127.0.0.1:54329/haicheng_gis"
    renamed = Settings(data_dir=tmp_path, db_app_role="gis_web", db_owner_role="gis_schema", _env_file=None)
    assert renamed.database_roles == DatabaseRoles(owner="gis_schema", app="gis_web")
    assert renamed.sqlalchemy_url.startswith("postgresql+psycopg://gis_web@")  # no password stored for it


@pytest.mark.parametrize("name", ["Haicheng", 'app"; DROP TABLE audit_log; --', "1app", ""])
def test_role_names_must_be_plain_identifiers(name):
    with pytest.raises(ValidationError, match="db_app_role"):
        Settings(db_app_role=name, _env_file=None)


@pytest.mark.parametrize(("cores", "pool"), [(1, 4), (2, 4), (8, 16), (None, 4)])
def test_request_threads_and_connections_default_to_twice_the_cores(monkeypatch, cores, pool):
    """Issue 21: 16 statements at once on 2 cores made the slowest wait for the scheduler mid-statement
    (a feature page's p95 2.2× its p50); twice the cores, at least 4, and the rest wait in order."""
    monkeypatch.setattr("gis_server.settings.os.cpu_count", lambda: cores)
    monkeypatch.delenv("GIS_DB_POOL_SIZE", raising=False)
    assert Settings(environment="test").db_pool_size == pool
    monkeypatch.setenv("GIS_DB_POOL_SIZE", "10")
    assert Settings(environment="test").db_pool_size == 10
