"""A real server for the real clients (OWSLib, GDAL, QGIS): its own committed database ``gis_ogc``,
one account per role (password ``tests.conftest.PASSWORD``), a few rows in several layers, uvicorn on
a free port of 127.0.0.1. The clients that use GDAL run in subprocesses: the service locks GDAL down
for the whole process (no network drivers), and a client is not the service.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine

from gis_server.accounts.service import create_user
from gis_server.app import create_app
from gis_server.settings import Settings
from layers.roles import ALL_ROLES
from tests.conftest import PASSWORD
from tests.utils.coverage import add_household, make_units
from tests.utils.database import committed_database
from tests.utils.features import feature, point
from tests.utils.live_server import serving

OGC_DB = "gis_ogc"
# around the seeded rows (the test units are centred near 122.7E 40.9N): every client reads through it
BBOX = (122.55, 40.75, 122.85, 41.05)


@dataclass(frozen=True)
class OgcServer:
    base: str  # http://127.0.0.1:port
    database_url: str

    @property
    def ogc(self) -> str:
        return self.base + "/ogc"

    def token(self, username: str) -> dict[str, str]:
        response = httpx.post(f"{self.base}/api/auth/token", data={"username": username, "password": PASSWORD},
                              timeout=30)
        assert response.status_code == 200, response.text
        return {"Authorization": "Bearer " + response.json()["access_token"]}

    def matched(self, username: str, collection: str, **params: str) -> int:
        response = httpx.get(f"{self.ogc}/collections/{collection}/items", params={"limit": "1", **params},
                             headers=self.token(username), timeout=30)
        assert response.status_code == 200, response.text
        return int(response.json()["numberMatched"])

    def readable(self, username: str) -> list[str]:
        response = httpx.get(f"{self.ogc}/collections", headers=self.token(username), timeout=30)
        return [c["id"] for c in response.json()["collections"]]


@pytest.fixture(scope="session")
def ogc_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OgcServer]:
    with committed_database(database_url, OGC_DB) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            for role in sorted(ALL_ROLES):
                create_user(conn, role, PASSWORD, [role])
            make_units(conn)
            for i in range(5):
                add_household(conn, 150 * i, 100 * i, name=f"王{i}号", members=i + 1)
            add_household(conn, 900, 0, child=True, name="李小")  # the case office only
        engine.dispose()
        app = create_app(Settings(environment="test", database_url=url, _env_file=None,
                                  data_dir=tmp_path_factory.mktemp("ogc-data")))
        with serving(app) as base:
            server = OgcServer(base, url)
            admin = server.token("admin")
            for i in range(7):  # more than a page of the clients' paging below
                body = feature(point(122.66 + 0.01 * i, 40.88), name=f"避难场所{i}", shelter_type="emergency",
                               capacity=100 + i)
                assert httpx.post(f"{base}/api/layers/shelters/features", json=body, headers=admin,
                                  timeout=30).status_code == 201
            yield server
