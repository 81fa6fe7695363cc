"""Uploaded files are opened safely (issue 13): GDAL in this process has no VRT, recipe or network
driver and no network paths, whoever asks; uploads land in a private folder under generated names;
error messages never quote the file; the image does not run as root."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest

import formats
from formats.lockdown import KEPT_DRIVERS
from tests.utils.bad_files import (
    LEAKS,
    SECRET,
    campaign,
    listener,
    post,
    site_frame,
    valid_file,
    vrt_local,
    vrt_network,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_keeps_only_plain_file_drivers(client):
    assert client.get("/api/health").status_code == 200  # the app factory ran its lock-down
    assert set(pyogrio.list_drivers()) == KEPT_DRIVERS
    assert pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_FILENAME") == "/nonexistent/network-disabled"


def test_gdal_itself_refuses_vrt_and_network_paths_whoever_asks(tmp_path):
    """Not through ``formats``: pyogrio called directly, as a future importer might."""
    with listener() as net:
        for name, content in (("a.geojson", vrt_local()), ("b.vrt", vrt_network(net.port))):
            (tmp_path / name).write_bytes(content)
            with pytest.raises(pyogrio.errors.DataSourceError, match="not recognized"):
                pyogrio.read_dataframe(tmp_path / name)
        for path in (f"/vsicurl/http://127.0.0.1:{net.port}/x.csv", f"/vsicurl?url=http://127.0.0.1:{net.port}/y.csv",
                     f"CSV:/vsicurl/http://127.0.0.1:{net.port}/z.csv",
                     f"/vsizip//vsicurl/http://127.0.0.1:{net.port}/a.zip/a.shp"):
            with pytest.raises(pyogrio.errors.DataSourceError):
                pyogrio.read_info(path)
    assert net.connections == []


@pytest.mark.parametrize("first", ["pyogrio", "formats"])
def test_importing_formats_locks_a_fresh_process_down(first):
    """Also when pyogrio (which registers GDAL's drivers) was imported before ``formats``."""
    code = f"import {first}, formats, pyogrio; print(sorted(pyogrio.list_drivers()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         timeout=60)
    assert json.loads(out.stdout.replace("'", '"')) == sorted(KEPT_DRIVERS)


def test_network_paths_inside_files_are_never_followed(client_as, tmp_path):
    planner, editor = client_as("funeral_planner"), client_as("place_names_editor")
    with listener() as net:
        url = f"/vsicurl/http://127.0.0.1:{net.port}/x.csv"
        geojson = site_frame(name=url).to_json().encode()
        response = post(planner, "/api/siting/upload", "site.geojson", geojson)
        assert response.status_code == 200 and response.json()["name"] == url  # a name, nothing more
        csv = f"标准名称,类别,东经,北纬,含义\n王家屯,自然村,122.72,40.86,{url}\n".encode()
        assert post(editor, "/api/place-names/import", "a.csv", csv).status_code == 200
        kml = (f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link>'
               f"<href>http://127.0.0.1:{net.port}/n.kml</href></Link></NetworkLink><Placemark><name>x</name>"
               "<Point><coordinates>122.75,40.85</coordinates></Point></Placemark></Document></kml>").encode()
        assert post(planner, "/api/siting/upload", "site.kml", kml).status_code == 200
    assert net.connections == []


def test_xml_entities_are_not_expanded_from_local_files(client_as):
    kml = (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name>'
           b"<Point><coordinates>122.75,40.85</coordinates></Point></Placemark></kml>")
    response = post(client_as("funeral_planner"), "/api/siting/upload", "site.kml", kml)
    assert response.status_code == 200
    assert response.json()["name"] is None  # the entity is dropped, not read
    assert not any(leak in response.text for leak in LEAKS)


def test_xlsx_is_parsed_through_defusedxml(client_as, tmp_path):
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    from tests.utils.bad_files import XML_BOMB, xlsx_with_sheet
    external = XML_BOMB.replace(b'<!ENTITY lol "lol">', b'<!ENTITY lol SYSTEM "file:///etc/passwd">')
    for sheet in (XML_BOMB, external):
        response = post(client_as("place_names_editor"), "/api/place-names/import", "普查.xlsx",
                        xlsx_with_sheet(sheet, tmp_path))
        assert response.status_code == 422
        assert response.json()["message"] == "文件“普查.xlsx”无法读取：不是有效的 XLSX 文件，或文件已损坏"
        assert not any(leak in response.text for leak in LEAKS)


def test_a_geopackage_with_a_virtual_ogr_table_reads_nothing_else(client_as, tmp_path):
    path = tmp_path / "site.gpkg"
    path.write_bytes(valid_file("gpkg", tmp_path))
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA writable_schema=ON")
        db.execute("INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES ('table', 'leak', 'leak', 0,"
                   " 'CREATE VIRTUAL TABLE leak USING VirtualOGR(''CSV:/etc/passwd'')')")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('leak', 'attributes', 'x')")
    response = post(client_as("funeral_planner"), "/api/siting/upload", "site.gpkg", path.read_bytes())
    assert response.status_code == 422
    assert response.json()["message"] == "文件“site.gpkg”无法读取：不是有效的 GeoPackage 文件，或文件已损坏"
    assert not any(leak in response.text for leak in LEAKS)


@pytest.fixture
def opened(monkeypatch):
    """Every file GDAL or the CSV reader opens: (path, its folder's mode, the folder's files)."""
    seen: list[tuple[Path, int, list[str]]] = []

    def record(path: Path) -> None:
        seen.append((path, path.parent.stat().st_mode & 0o777, sorted(p.name for p in path.parent.iterdir())))

    read_dataframe, read_csv = pyogrio.read_dataframe, formats.tables.read_csv

    def gdal_spy(path, *args, **kwargs):
        record(Path(path))
        return read_dataframe(path, *args, **kwargs)

    def csv_spy(upload, *args, **kwargs):
        record(upload.path)
        return read_csv(upload, *args, **kwargs)

    monkeypatch.setattr(pyogrio, "read_dataframe", gdal_spy)
    monkeypatch.setattr(formats.tables, "read_csv", csv_spy)
    return seen


def test_uploads_land_in_a_private_folder_under_generated_names_and_are_removed(client_as, opened, tmp_path):
    planner, editor = client_as("funeral_planner"), client_as("place_names_editor")
    assert post(planner, "/api/siting/upload", "../../etc/cron.d/x y.geojson",
                valid_file("geojson", tmp_path)).status_code == 200
    assert post(planner, "/api/siting/upload", "/root/选址.zip", valid_file("shapefile", tmp_path)).status_code == 200
    assert post(editor, "/api/place-names/import", "..\\普查.csv", valid_file("csv", tmp_path)).status_code == 200
    assert [(path.name, mode, files) for path, mode, files in opened] == [
        ("upload.geojson", 0o700, ["upload.geojson"]),
        ("upload.shp", 0o700, ["upload.cpg", "upload.dbf", "upload.prj", "upload.shp", "upload.shx"]),
        ("upload.csv", 0o700, ["upload.csv"]),
    ]
    assert all(path.parent.name.startswith("haicheng-upload-") and not path.parent.exists() for path, _, _ in opened)


def test_a_refused_upload_leaves_no_file_behind(client_as, monkeypatch):
    made: list[str] = []
    real = formats.opening.tempfile.mkdtemp
    monkeypatch.setattr(formats.opening.tempfile, "mkdtemp", lambda **kw: made.append(real(**kw)) or made[-1])
    response = post(client_as("funeral_planner"), "/api/siting/upload", "x.zip", b"PK\x03\x04broken")
    assert response.status_code == 422
    assert len(made) == 1 and not Path(made[0]).exists()


def results_csv(rows: list[str]) -> bytes:
    return ("marker_id,condition,measured_at,lon,lat,notes\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("r.csv", results_csv([f"{SECRET},intact,2025-05-01 10:00,122.51,40.60,{SECRET}"]),
     "文件有 1 处错误，未导入任何记录：第 2 行：界桩编号（marker_id）不是整数"),
    ("r.csv", results_csv([f"1,{SECRET},2025-05-01 10:00,122.51,40.60,x"]),
     "文件有 1 处错误，未导入任何记录：第 2 行：界桩状况不在可选值中（"),
    ("r.csv", results_csv([f"1,intact,{SECRET},122.51,40.60,x", f"2,intact,2025-05-01 10:00,{SECRET},40.6,x"]),
     "文件有 1 处错误，未导入任何记录：第 2 行：检查时间无法识别（应为 YYYY-MM-DD HH:MM）"),
    ("r.csv", results_csv([f"1,intact,2025-05-01 10:00,122.51,40.60,{SECRET * 20_000}"]),
     "文件“r.csv”第 2 行无法读取（字段过长或含非法字符）"),
    ("r.gpx", (f'<?xml version="1.0"?><gpx version="1.1" creator="{SECRET}" xmlns="http://www.topografix.com/GPX/1/1">'
               f'<wpt lat="39.9" lon="116.4"><name>{SECRET}</name><cmt>{SECRET}</cmt></wpt></gpx>').encode(),
     "文件有 1 处错误，未导入任何记录：航点 1：实测位置有误："),
    ("r.gpkg", f"<OGRVRTDataSource><!-- {SECRET} --></OGRVRTDataSource>".encode(),
     "文件“r.gpkg”的内容不是 GeoPackage 格式（文件扩展名与内容不符），或文件已损坏"),
])
def test_results_errors_never_quote_the_file(client_as, filename, content, message):
    surveyor = client_as("boundary_surveyor")
    response = post(surveyor, f"/api/inspections/campaigns/{campaign(surveyor)}/results", filename, content)
    assert response.status_code == 422
    assert response.json()["message"].startswith(message)
    assert SECRET not in response.text


def test_the_service_image_does_not_run_as_root():
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines() if line.strip()]
    users = [words[1] for words in lines if words[0] == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    cmd = max(i for i, words in enumerate(lines) if words[0] == "CMD")
    assert max(i for i, words in enumerate(lines) if words[0] == "USER") < cmd
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "user: root" not in compose and 'user: "0' not in compose
