"""Real clients against a real server: OWSLib, GDAL's OAPIF driver (ogr2ogr) and QGIS itself.

GDAL and QGIS run in subprocesses with the service's GDAL lock-down taken out of their environment
(the lock-down is the service's, for uploads; these are clients).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyogrio
import pytest
from owslib.ogcapi.features import Features
from pyproj import Transformer

from formats.lockdown import gdal_options
from tests.conftest import PASSWORD
from tests.ogc.conftest import BBOX

EPSG4550 = "http://www.opengis.net/def/crs/EPSG/0/4550"
QGIS_PYTHON = "/usr/bin/python3"  # Debian's, with python3-qgis (make test-packages)


def client_env() -> dict[str, str]:
    locked = set(gdal_options())
    env = {k: v for k, v in os.environ.items() if k not in locked}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


@pytest.mark.parametrize("role", ["case_worker", "viewer"])
def test_owslib_lists_and_reads_every_permitted_collection(ogc_server, role):
    api = Features(ogc_server.ogc, headers=ogc_server.token(role))
    ids = [c["id"] for c in api.collections()["collections"]]
    assert ids == ogc_server.readable(role) and ("households" in ids) == (role == "case_worker")
    for collection in ids:
        page = api.collection_items(collection, limit=1000)
        assert page["numberMatched"] == len(page["features"]) == ogc_server.matched(role, collection), collection
    assert len(api.collection_items("shelters")["features"]) == 7 and ids.count("shelters") == 1


def test_owslib_reads_crs84_and_4550_alike(ogc_server):
    api = Features(ogc_server.ogc, headers=ogc_server.token("case_worker"))
    to_4550 = Transformer.from_crs(4490, 4550, always_xy=True)
    for collection in ("shelters", "households"):
        lonlat = api.collection_items(collection, limit=100)["features"]
        metric = api.collection_items(collection, limit=100, crs=EPSG4550)["features"]
        assert [f["id"] for f in lonlat] == [f["id"] for f in metric] and lonlat
        for a, b in zip(lonlat, metric, strict=True):
            easting, northing = to_4550.transform(*a["geometry"]["coordinates"])
            assert b["geometry"]["coordinates"] == [round(northing, 3), round(easting, 3)]  # EPSG axis order


def test_gdal_copies_every_permitted_collection_to_geopackage(ogc_server, tmp_path: Path):
    target = tmp_path / "copy.gpkg"
    headers = ogc_server.token("case_worker")
    done = subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{ogc_server.ogc}",
         "--config", "GDAL_HTTP_HEADERS", f"Authorization: {headers['Authorization']}"],
        capture_output=True, text=True, timeout=600, env=client_env(), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    copied = {name: pyogrio.read_info(target, layer=name)["features"] for name, _ in pyogrio.list_layers(target)}
    readable = ogc_server.readable("case_worker")
    assert set(copied) == set(readable)
    assert copied == {name: ogc_server.matched("case_worker", name) for name in readable}
    assert (copied["shelters"], copied["households"]) == (7, 6)


def test_qgis_opens_every_permitted_collection_with_a_bbox_and_pages(ogc_server):
    readable = ogc_server.readable("case_worker")
    bbox = ",".join(str(v) for v in BBOX)
    done = subprocess.run(
        [QGIS_PYTHON, str(Path(__file__).with_name("qgis_client.py")), ogc_server.ogc, "case_worker", PASSWORD,
         bbox, "2", *readable], capture_output=True, text=True, timeout=900, env=client_env(), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    read = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name: read[name][:2] for name in read} == {
        name: [ogc_server.matched("case_worker", name, bbox=bbox), True] for name in readable}
    assert {read[name][2] for name in read if read[name][0]} == {"EPSG:4326"}  # CRS84 as QGIS names it
    assert (read["shelters"][0], read["households"][0]) == (7, 6)  # more than one page of 2 each


def test_the_readme_screenshot_script_draws_the_layers(ogc_server, tmp_path: Path):
    from PIL import Image

    picture = tmp_path / "qgis.png"
    script = Path(__file__).resolve().parents[2] / "scripts" / "qgis_screenshot.py"
    done = subprocess.run([QGIS_PYTHON, str(script), ogc_server.ogc, "case_worker", PASSWORD, str(picture),
                           "villages", "shelters", "households"],
                          capture_output=True, text=True, timeout=600, env=client_env(), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"villages": 2, "shelters": 7, "households": 6}
    image = Image.open(picture).convert("RGB")
    assert image.size == (1000, 700)
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 3  # not a blank picture: fills, outlines and markers


def test_basic_sign_in_is_checked_once_then_cached_until_the_account_changes(ogc_server):
    import httpx
    from sqlalchemy import create_engine, text

    engine = create_engine(ogc_server.database_url)
    logins = text("SELECT count(*) FROM audit_log WHERE username = 'funeral_planner' AND action = 'login'")
    auth = ("funeral_planner", PASSWORD)
    with engine.connect() as conn:
        before = conn.execute(logins).scalar_one()
    for _ in range(3):
        assert httpx.get(f"{ogc_server.ogc}/collections", auth=auth, timeout=30).status_code == 200
    assert httpx.get(f"{ogc_server.ogc}/collections", auth=("funeral_planner", "wrong"), timeout=30).status_code == 401
    with engine.begin() as conn:
        assert conn.execute(logins).scalar_one() == before + 1  # one sign-in for three pages
        conn.execute(text("UPDATE users SET disabled = true WHERE username = 'funeral_planner'"))
    try:
        for _ in range(50):  # the notification reaches the server's cache within milliseconds
            status = httpx.get(f"{ogc_server.ogc}/collections", auth=auth, timeout=30).status_code
            if status == 401:
                break
        assert status == 401
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE users SET disabled = false WHERE username = 'funeral_planner'"))
        engine.dispose()
