"""The embedded cluster and the settings checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gis_server.cluster import Cluster
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
    assert Settings(_env_file=None).sqlalchemy_url.endswith(":54329/haicheng_gis")
