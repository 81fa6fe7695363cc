"""The inspection loop through the API: campaign → field package → edited on a "device" → results →
displacements to the centimetre → idempotent re-import → conflicts → photos → report → re-survey."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from formats.gpkg import enum_domains
from gis_server.settings import Settings
from tests.utils.features import point
from tests.utils.inspections import REFS, boundary, jpeg, metres, moved, sha

CST = timezone(timedelta(hours=8))
BOTH_SIDES = {"side_a": {"confirmed_by": "王一", "confirmed_on": "2025-05-02"},
              "side_b": {"confirmed_by": "赵三", "confirmed_on": "2025-05-03"}}


@pytest.fixture
def settings(database_url, tmp_path):  # photos go to a throwaway data folder
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def scene(client):
    site = boundary(client)
    response = client.post("/api/inspections/campaigns", json={
        "name": "海城市—大石桥市界线2025年联检", "year": 2025, "round": 1, "line_ids": [site["line_id"]],
        "team_a": {"side": "海城市", "leader": "王一", "members": ["李二"]},
        "team_b": {"side": "大石桥市", "leader": "赵三"}, "start_date": "2025-05-01"})
    assert response.status_code == 201, response.text
    return {**site, "campaign": response.json()}


def download_package(client, campaign_id, tmp_path):
    response = client.get(f"/api/inspections/campaigns/{campaign_id}/package.gpkg")
    assert response.status_code == 200, response.text
    path = tmp_path / "field.gpkg"
    path.write_bytes(response.content)
    return path


def device_edit(path, rows):
    """What QField does: append features to ``inspection_records`` (point = measured position)."""
    frame = gpd.GeoDataFrame(pd.DataFrame([r["attrs"] for r in rows]),
                             geometry=[Point(*r["at"]) if r["at"] else None for r in rows], crs="EPSG:4490")
    pyogrio.write_dataframe(frame, path, layer="inspection_records", append=True)


def upload(client, campaign_id, path, name=None, on_conflict=None):
    params = {"on_conflict": on_conflict} if on_conflict else None
    with open(path, "rb") as f:
        return client.post(f"/api/inspections/campaigns/{campaign_id}/results", params=params,
                           files={"file": (name or path.name, f, "application/octet-stream")})


def test_the_whole_loop(client, scene, tmp_path):
    campaign_id = scene["campaign"]["id"]
    assert scene["campaign"]["tolerance_m"] == 1.0 and scene["campaign"]["counts"]["markers"] == 3
    path = download_package(client, campaign_id, tmp_path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"markers", "lines", "reference_objects", "inspection_records", "campaign"} <= layers
    markers = pyogrio.read_dataframe(path, layer="markers")
    assert len(markers) == 3 and {"marker_id", "e_4550", "n_4550", "y_4529"} <= set(markers.columns)
    first = scene["markers"][0]
    row = markers[markers.marker_id == first["id"]].iloc[0]
    assert (row.geometry.x, row.geometry.y) == pytest.approx((first["lon"], first["lat"]), abs=1e-9)
    assert row.y_4529 == pytest.approx(row.e_4550 + 41_000_000, abs=0.01)
    assert len(pyogrio.read_dataframe(path, layer="reference_objects")) == 9
    assert len(pyogrio.read_dataframe(path, layer="inspection_records")) == 0
    assert enum_domains(path)[("inspection_records", "condition")]["intact"] == "完好"

    a, b, c = scene["markers"]
    at_a, at_b = moved(a["lon"], a["lat"], 0.83, -0.42), moved(b["lon"], b["lat"], 1.20, 0.50)
    when = datetime(2025, 5, 2, 9, 30, tzinfo=CST)
    device_edit(path, [
        {"at": at_a, "attrs": {"marker_id": a["id"], "condition": "intact", "measured_at": when,
                               "inspector": "王一", "inspector_partner": "赵三", "photo_names": "DCIM/a1.jpg;a2.jpg"}},
        {"at": at_b, "attrs": {"marker_id": b["id"], "condition": "displaced", "measured_at": when,
                               "inspector": "王一", "notes": "疑被车辆撞击"}},
        {"at": None, "attrs": {"marker_id": c["id"], "condition": "missing", "measured_at": when}},
    ])
    first_import = upload(client, campaign_id, path)
    assert first_import.status_code == 200, first_import.text
    assert first_import.json() == {"created": 3, "updated": 0, "unchanged": 0, "conflicts": [], "applied": True}

    records = {r["marker_id"]: r for r in client.get(f"/api/inspections/campaigns/{campaign_id}/records").json()}
    back = {r.marker_id: r.geometry for _, r in pyogrio.read_dataframe(path, layer="inspection_records").iterrows()}
    expected_a = round(metres((a["lon"], a["lat"]), (back[a["id"]].x, back[a["id"]].y)), 2)
    expected_b = round(metres((b["lon"], b["lat"]), (back[b["id"]].x, back[b["id"]].y)), 2)
    assert (expected_a, expected_b) == (0.93, 1.30)  # hypot(0.83, 0.42), hypot(1.20, 0.50)
    assert records[a["id"]]["displacement_m"] == expected_a and records[a["id"]]["exceeds_tolerance"] is False
    assert records[b["id"]]["displacement_m"] == expected_b and records[b["id"]]["exceeds_tolerance"] is True
    assert (records[b["id"]]["displacement_dx_m"], records[b["id"]]["displacement_dy_m"]) == (1.2, 0.5)
    assert records[c["id"]]["displacement_m"] is None and records[c["id"]]["condition"] == "missing"
    assert records[a["id"]]["photos"]["expected"] == 2 and records[a["id"]]["photos"]["missing"] == ["a1.jpg", "a2.jpg"]
    assert records[a["id"]]["measured_at"] == when.isoformat()

    again = upload(client, campaign_id, path)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3, "conflicts": [], "applied": True}
    assert client.get(f"/api/inspections/campaigns/{campaign_id}/records").json() == list(records.values())

    report = client.get(f"/api/inspections/campaigns/{campaign_id}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(report.content)
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, check=True,
                              text=True).stdout
        assert "联合检查报告" in text and "位移" in text and "1.30" in text and "签字" in text
    for fmt in ("docx", "xlsx"):
        assert client.get(f"/api/inspections/campaigns/{campaign_id}/report.{fmt}").status_code == 200


def test_field_edit_of_a_record_updates_it_and_keeps_history(client, scene, tmp_path):
    campaign_id, a = scene["campaign"]["id"], scene["markers"][0]
    path = download_package(client, campaign_id, tmp_path)
    device_edit(path, [{"at": moved(a["lon"], a["lat"], 0.1, 0.1),
                        "attrs": {"marker_id": a["id"], "condition": "intact", "client_id": "device-1-rec-0001"}}])
    assert upload(client, campaign_id, path).json()["created"] == 1
    frame = pyogrio.read_dataframe(path, layer="inspection_records")
    frame.loc[0, "condition"] = "tilted"
    frame.loc[0, "notes"] = "向东倾斜约 10°"
    pyogrio.write_dataframe(frame, path, layer="inspection_records")
    assert upload(client, campaign_id, path).json()["updated"] == 1
    record = client.get(f"/api/inspections/campaigns/{campaign_id}/records").json()[0]
    assert record["condition"] == "tilted" and record["version"] == 2
    history = client.get(f"/api/inspections/records/{record['id']}/history").json()["versions"]
    assert [v["properties"]["condition"] for v in history] == ["intact", "tilted"]


def test_conflicts_are_listed_and_nothing_is_half_imported(client, scene, tmp_path):
    campaign_id, (a, b, _) = scene["campaign"]["id"], scene["markers"]
    csv1 = f"marker_id,condition,measured_at,lon,lat\n{a['id']},完好,2025-05-02 09:00,{a['lon']},{a['lat']}\n"
    (tmp_path / "one.csv").write_text(csv1, encoding="utf-8")
    assert upload(client, campaign_id, tmp_path / "one.csv").json()["created"] == 1
    csv2 = ("marker_id,condition,measured_at,lon,lat\n"
            f"{a['id']},倾斜,2025-05-03 10:00,{a['lon']},{a['lat']}\n"  # a second, different record for marker a
            f"{b['id']},完好,2025-05-03 10:05,{b['lon']},{b['lat']}\n"
            f"999999,完好,2025-05-03 10:10,{b['lon']},{b['lat']}\n")  # not a marker of the campaign's line
    (tmp_path / "two.csv").write_text(csv2, encoding="utf-8")
    response = upload(client, campaign_id, tmp_path / "two.csv")
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["applied"] is False and body["created"] == 0
    assert sorted(c["kind"] for c in body["conflicts"]) == ["marker_has_record", "unknown_marker"]
    assert len(client.get(f"/api/inspections/campaigns/{campaign_id}/records").json()) == 1  # b not imported
    skipped = upload(client, campaign_id, tmp_path / "two.csv", on_conflict="skip").json()
    assert skipped["created"] == 1 and len(skipped["conflicts"]) == 2
    taken = upload(client, campaign_id, tmp_path / "two.csv", on_conflict="incoming").json()
    assert taken["updated"] == 1 and taken["unchanged"] == 1
    records = {r["marker_id"]: r for r in client.get(f"/api/inspections/campaigns/{campaign_id}/records").json()}
    assert records[a["id"]]["condition"] == "tilted"


def test_bad_files_change_nothing(client, scene, tmp_path):
    campaign_id, a = scene["campaign"]["id"], scene["markers"][0]
    path = download_package(client, campaign_id, tmp_path)
    device_edit(path, [{"at": (a["lon"], a["lat"]), "attrs": {"marker_id": a["id"], "condition": "intact"}}])
    (tmp_path / "broken.gpkg").write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    broken = upload(client, campaign_id, tmp_path / "broken.gpkg")
    assert broken.status_code == 422 and "无法读取" in broken.json()["message"]
    bad = f"marker_id,condition,lon,lat\n{a['id']},完好,{a['lon']},{a['lat']}\n{a['id']},裂开,{a['lon']},{a['lat']}\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    refused = upload(client, campaign_id, tmp_path / "bad.csv")
    assert refused.status_code == 422 and refused.json()["problems"][0]["where"] == "第 3 行"
    (tmp_path / "x.txt").write_text("hello")
    assert upload(client, campaign_id, tmp_path / "x.txt").status_code == 422
    assert client.get(f"/api/inspections/campaigns/{campaign_id}/records").json() == []


def test_gpx_round_trip(client, scene, tmp_path):
    campaign_id, a = scene["campaign"]["id"], scene["markers"][0]
    gpx = client.get(f"/api/inspections/campaigns/{campaign_id}/package.gpx")
    assert gpx.status_code == 200 and f"L{scene['line_id']}-001Q".encode() in gpx.content
    lon, lat = moved(a["lon"], a["lat"], 0.0, 2.0)
    fix = (f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
           f'<wpt lat="{lat:.9f}" lon="{lon:.9f}"><time>2025-05-02T01:00:00Z</time>'
           f'<name>L{scene["line_id"]}-001Q</name><cmt>倾斜</cmt></wpt></gpx>')
    (tmp_path / "fix.gpx").write_text(fix, encoding="utf-8")
    assert upload(client, campaign_id, tmp_path / "fix.gpx").json()["created"] == 1
    assert upload(client, campaign_id, tmp_path / "fix.gpx").json()["unchanged"] == 1
    record = client.get(f"/api/inspections/campaigns/{campaign_id}/records").json()[0]
    assert record["condition"] == "tilted" and record["displacement_m"] == 2.0 and record["exceeds_tolerance"]


def test_phone_records_are_idempotent_by_client_id(client, scene):
    campaign_id, a = scene["campaign"]["id"], scene["markers"][0]
    body = {"client_id": "0b6f2c1e-phone-0001", "marker_id": a["id"], "condition": "完好",
            "geometry": {"type": "Point", "coordinates": [a["lon"], a["lat"]]}, "photo_names": ["p1.jpg"]}
    url = f"/api/inspections/campaigns/{campaign_id}/records"
    first = client.post(url, json=body)
    assert first.status_code == 201 and first.json()["status"] == "created"
    resent = client.post(url, json=body)  # the phone did not hear the answer and sends again
    assert resent.status_code == 200 and resent.json()["status"] == "unchanged"
    assert resent.json()["record"]["id"] == first.json()["record"]["id"]
    other = client.post(url, json={**body, "client_id": "0b6f2c1e-phone-0002"})
    assert other.status_code == 409 and other.json()["conflicts"][0]["kind"] == "marker_has_record"
    assert len(client.get(url).json()) == 1
    near = client.get("/api/inspections/markers/nearest", params={"lon": a["lon"] + 1e-5, "lat": a["lat"],
                                                                  "campaign_id": campaign_id, "limit": 2}).json()
    expected = round(metres((a["lon"], a["lat"]), (a["lon"] + 1e-5, a["lat"])), 2)
    assert near[0]["id"] == a["id"] and near[0]["distance_m"] == expected and len(near) == 2


def test_photos_checksum_resume_and_arrival(client, scene, settings):
    campaign_id, a = scene["campaign"]["id"], scene["markers"][0]
    record = client.post(f"/api/inspections/campaigns/{campaign_id}/records", json={
        "client_id": "phone-record-photos", "marker_id": a["id"], "condition": "intact",
        "photo_names": ["front.jpg", "north.jpg"]}).json()["record"]
    url = f"/api/inspections/records/{record['id']}/photos"
    data = jpeg()
    wrong = client.post(url, data={"sha256": sha(b"something else"), "name": "front.jpg"},
                        files={"file": ("front.jpg", data, "image/jpeg")})
    assert wrong.status_code == 422 and wrong.json()["received_sha256"] == sha(data)
    assert client.get(url).json()["arrived"] == 0
    ok = client.post(url, data={"sha256": sha(data), "name": "front.jpg"}, files={"file": ("front.jpg", data)})
    assert ok.status_code == 201, ok.text
    same = client.post(url, data={"sha256": sha(data), "name": "front.jpg"}, files={"file": ("front.jpg", data)})
    assert same.status_code == 200 and same.json()["id"] == ok.json()["id"]
    # resumable: two chunks, the second after asking where to go on
    other = jpeg("blue", (800, 600))
    digest, half = sha(other), len(other) // 2
    headers = {"Upload-Length": str(len(other)), "Content-Type": "application/offset+octet-stream"}
    part = client.patch(f"/api/inspections/uploads/{digest}", content=other[:half],
                        headers={**headers, "Upload-Offset": "0"})
    assert part.json() == {"sha256": digest, "offset": half, "complete": False}
    stale = client.patch(f"/api/inspections/uploads/{digest}", content=other[:half],
                         headers={**headers, "Upload-Offset": "0"})
    assert stale.status_code == 409 and stale.json()["offset"] == half
    assert client.get(f"/api/inspections/uploads/{digest}").json()["offset"] == half
    done = client.patch(f"/api/inspections/uploads/{digest}", content=other[half:],
                        headers={**headers, "Upload-Offset": str(half)})
    assert done.json()["complete"] is True
    attached = client.post(url, data={"sha256": digest, "name": "north.jpg"})
    assert attached.status_code == 201
    status = client.get(url).json()
    assert status["expected"] == 2 and status["arrived"] == 2 and status["missing"] == []
    thumb = client.get(f"/api/inspections/photos/{attached.json()['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    from PIL import Image
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    assert (settings.data_dir / "photos" / digest[:2] / digest).read_bytes() == other


def test_resurvey_keeps_every_position_with_its_document(client, scene):
    campaign_id, a = scene["campaign"]["id"], scene["markers"][0]
    at = moved(a["lon"], a["lat"], 1.5, 0.0)
    record = client.post(f"/api/inspections/campaigns/{campaign_id}/records", json={
        "client_id": "phone-resurvey-1", "marker_id": a["id"], "condition": "displaced",
        "geometry": {"type": "Point", "coordinates": list(at)}}).json()["record"]
    url = f"/api/inspections/markers/{a['id']}/resurvey"
    assert client.post(url, json={"record_id": record["id"], "confirmations": BOTH_SIDES},
                       headers={"If-Match": '"1"'}).status_code == 422
    done = client.post(url, json={"record_id": record["id"], "document": "海石界复测记录〔2025〕1号",
                                  "confirmations": BOTH_SIDES}, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    positions = done.json()["positions"]
    assert [p["position_doc"] for p in positions] == [None, "海石界复测记录〔2025〕1号"]
    assert (positions[-1]["lon"], positions[-1]["lat"]) == pytest.approx(at, abs=1e-9)
    marker = client.get(f"/api/layers/boundary_markers/features/{a['id']}").json()
    assert marker["properties"]["position_doc"] == "海石界复测记录〔2025〕1号"
    kept = client.get(f"/api/inspections/records/{record['id']}").json()
    assert kept["displacement_m"] == 1.5  # measured against the position registered at inspection time


def test_completion_map_and_permissions(client, client_as, scene):
    campaign_id, line_id = scene["campaign"]["id"], scene["line_id"]
    viewer, surveyor = client_as("viewer"), client_as("boundary_surveyor")
    assert viewer.get(f"/api/inspections/campaigns/{campaign_id}").status_code == 200
    assert viewer.post("/api/inspections/campaigns", json={"name": "x", "year": 2025, "line_ids": [line_id]}
                       ).status_code == 403
    assert surveyor.post("/api/inspections/campaigns", json={"name": "专项", "year": 2025, "round": 2, "kind": "ad_hoc",
                                                             "line_ids": [line_id]}).status_code == 201
    lines = client.get("/api/inspections/map/lines", params={"as_of": "2025-06-30"}).json()
    ours = next(f for f in lines["features"] if f["id"] == line_id)
    assert ours["properties"]["status"] == "overdue" and ours["properties"]["in_campaign"] is True
    done = surveyor.post(f"/api/inspections/campaigns/{campaign_id}/status",
                         json={"status": "completed", "end_date": "2025-06-30"}, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    line = client.get(f"/api/layers/boundary_lines/features/{line_id}").json()["properties"]
    assert (line["last_inspection_date"], line["next_inspection_date"]) == ("2025-06-30", "2030-06-30")
    lines = client.get("/api/inspections/map/lines", params={"as_of": "2025-07-01"}).json()
    assert next(f for f in lines["features"] if f["id"] == line_id)["properties"]["status"] == "done"
    markers = client.get("/api/inspections/map/markers", params={"campaign_id": campaign_id}).json()
    assert {f["properties"]["condition"] for f in markers["features"]} == {"not_inspected"}
    assert client.get(f"/api/inspections/campaigns/{campaign_id}/displacements").json()["features"] == []
    table = client.get(f"/api/inspections/campaigns/{campaign_id}/markers.xlsx")
    sheet = load_workbook(io.BytesIO(table.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "界桩号" and len(rows) == 4 and REFS[0]["name"] in rows[1][9]
    assert client.get(f"/api/inspections/campaigns/{campaign_id}/markers.pdf").content.startswith(b"%PDF")


def test_the_marker_table_says_where_reference_objects_are_too_few(client):
    scene = boundary(client, n=2)
    first, second = scene["markers"]
    url = f"/api/layers/boundary_markers/features/{second['id']}"
    patched = client.patch(url, json={"properties": {"reference_objects": REFS[:1]}}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    campaign = client.post("/api/inspections/campaigns", json={"name": "方位物核查", "year": 2026,
                                                                "line_ids": [scene["line_id"]]}).json()
    table = client.get(f"/api/inspections/campaigns/{campaign['id']}/markers.xlsx")
    rows = {r[1]: r[9] for r in list(load_workbook(io.BytesIO(table.content)).active.iter_rows(values_only=True))[1:]}
    assert "不足" not in rows[first["number"]]  # three, as the rule asks
    assert rows[second["number"]] == "独立树 30.0° 25.0 m；（方位物不足 3 个，请外业补测）"


def test_resurvey_needs_a_document_and_both_sides(client, scene):
    a = scene["markers"][0]
    url = f"/api/inspections/markers/{a['id']}/resurvey"
    at = point(*moved(a["lon"], a["lat"], 2.0, 0.0))
    cases = [
        ({"geometry": at, "confirmations": BOTH_SIDES}, "document", "批准复测的文件号"),
        ({"geometry": at, "document": "海石界复测〔2025〕3号"}, "confirmations", "界线双方的确认"),
        ({"geometry": at, "document": "海石界复测〔2025〕3号", "confirmations": {"side_a": BOTH_SIDES["side_a"]}},
         "confirmations.side_b", "缺少乙方（大石桥市）的确认"),
        ({"geometry": at, "document": "海石界复测〔2025〕3号",
          "confirmations": {**BOTH_SIDES, "side_a": {"confirmed_on": "2025-05-02"}}},
         "confirmations.side_a.confirmed_by", "甲方（海城市）确认人"),
        ({"geometry": at, "document": "海石界复测〔2025〕3号",
          "confirmations": {**BOTH_SIDES, "side_b": {"confirmed_by": "赵三"}}},
         "confirmations.side_b.confirmed_on", "乙方（大石桥市）的确认日期"),
    ]
    for body, field, words in cases:
        response = client.post(url, json=body, headers={"If-Match": '"1"'})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["field"] == field and words in response.json()["message"]
    marker = client.get(f"/api/layers/boundary_markers/features/{a['id']}").json()
    assert marker["properties"]["version"] == 1
    assert marker["geometry"]["coordinates"] == pytest.approx([a["lon"], a["lat"]], abs=1e-9)


def test_a_complete_resurvey_moves_the_marker_and_history_keeps_document_and_both_confirmations(client, scene):
    a = scene["markers"][0]
    at = moved(a["lon"], a["lat"], 6.0, 8.0)
    done = client.post(f"/api/inspections/markers/{a['id']}/resurvey", headers={"If-Match": '"1"'}, json={
        "geometry": point(*at), "document": "海石界复测〔2025〕4号", "survey_method": "gnss_rtk",
        "survey_date": "2025-05-03", "confirmations": BOTH_SIDES})
    assert done.status_code == 200, done.text
    last = done.json()["positions"][-1]
    assert last["position_doc"] == "海石界复测〔2025〕4号"
    assert last["confirmations"] == {
        "side_a": {"party": "海城市", "confirmed_by": "王一", "confirmed_on": "2025-05-02"},
        "side_b": {"party": "大石桥市", "confirmed_by": "赵三", "confirmed_on": "2025-05-03"}}
    assert metres((last["lon"], last["lat"]), (a["lon"], a["lat"])) == pytest.approx(10.0, abs=1e-3)
    history = client.get(f"/api/layers/boundary_markers/features/{a['id']}/history").json()["versions"]
    assert [v["version"] for v in history] == [1, 2]
    assert history[-1]["reason"] == ("复测，更新登记位置：海石界复测〔2025〕4号；"
                                     "甲方海城市 王一 2025-05-02 确认，乙方大石桥市 赵三 2025-05-03 确认")
    assert "geometry" in history[-1]["changed_fields"]
    assert history[-1]["properties"]["position_doc"] == "海石界复测〔2025〕4号"
    assert client.get(f"/api/inspections/markers/{a['id']}/positions").json()[-1] == last


def pdf_text_and_images(content, tmp_path):
    """The text of a PDF (pdftotext) and how many images it holds (pdfimages -list)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True).stdout
    kinds = [line.split()[2] for line in listing.strip().splitlines()[2:]]  # after two header lines
    return text, kinds.count("image")  # a PNG's alpha channel is listed apart, as "smask"


def test_report_has_the_crews_notes_photos_and_a_map(client, scene, tmp_path):
    campaign_id, (a, b, _c) = scene["campaign"]["id"], scene["markers"]
    url = f"/api/inspections/campaigns/{campaign_id}/records"
    first = client.post(url, json={
        "client_id": "report-a", "marker_id": a["id"], "condition": "displaced", "inspector": "funeral_planner",
        "inspector_partner": "赵三", "notes": "疑被车辆撞击，桩身向东偏移", "reference_check": "独立树已砍伐",
        "geometry": {"type": "Point", "coordinates": list(moved(a["lon"], a["lat"], 1.20, 0.50))},
        "photo_names": ["front.jpg", "north.jpg"]}).json()["record"]
    client.post(url, json={"client_id": "report-b", "marker_id": b["id"], "condition": "intact", "inspector": "王一",
                           "geometry": {"type": "Point", "coordinates": list(moved(b["lon"], b["lat"], 0.02, 0))}})
    for name, colour in (("front.jpg", "red"), ("north.jpg", "blue")):
        data = jpeg(colour)
        assert client.post(f"/api/inspections/records/{first['id']}/photos", data={"sha256": sha(data), "name": name},
                           files={"file": (name, data)}).status_code == 201
    report = client.get(f"/api/inspections/campaigns/{campaign_id}/report.pdf")
    assert report.status_code == 200
    text, images = pdf_text_and_images(report.content, tmp_path)
    flat = "".join(text.split())
    assert images == 3  # the map and the two thumbnails
    assert "疑被车辆撞击，桩身向东偏移" in flat and "独立树已砍伐" in flat and "检查组现场记录" in flat
    assert "图1界桩检查情况与位移示意图" in flat
    assert "殡葬规划账号、赵三" in flat and "funeral_planner" not in text
    assert "1.30" in flat and "001Q·front.jpg" in flat and "001Q·north.jpg" in flat
    assert "二手资料" not in text and "无法定数值" not in text
    assert "项目默认值：参照界桩点位以GNSS测定" in flat
