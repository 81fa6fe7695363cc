"""Exports of every layer in every format, read back by field name: labels, names beside codes, Beijing
time, no WKT in spreadsheets, masking per role, audited reveals, formula injection, GBK.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from layers.catalog import registry
from tests.exports.readback import read_back
from tests.utils.features import create, feature, line, point, square
from tests.utils.layer_samples import sample_properties
from tests.utils.write_strictness import VILLAGE, admin_units

FORMATS = ("gpkg", "shp", "geojson", "csv", "xlsx", "kml")
SHEETS = ("csv", "xlsx")
# columns beside codes: named in GIS formats, by their label in spreadsheets (no field name there)
DERIVED = {"categories_label": "救助类别（名称）", "village_name": "所在村名称", "source_label": "数据来源（名称）"}
ID = "21038119800101101X"
GEOMETRY = {"Point": point(), "MultiLineString": line((122.6, 40.8), (122.7, 40.8)),
            "MultiPolygon": square(122.6, 40.8), "Geometry": point()}


def shown(value: Any) -> str | None:
    """A read-back value as text: CSV gives texts, the other formats typed values."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def household(client, **props):
    body = {"head_name": "张三丰", "categories": ["dibao", "disabled"], "phone": "13812345678",
            "address": "海城市海州街道某路8号", "members": 3, **props}
    return create(client, "households", point(122.695, 40.855), **body)


def beijing(conn, table: str, feature_id: int, column: str = "created_at") -> str:
    return conn.execute(text(f"SELECT to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') "
                             f"|| '+08:00' FROM {table} WHERE id = :id"), {"id": feature_id}).scalar_one()


def export(client, layer: str, **params):
    response = client.get(f"/api/layers/{layer}/export", params=params)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("format", FORMATS)
def test_households_read_back_masked_with_labels_names_beside_codes_and_beijing_time(client_as, client, conn,
                                                                                       format):
    admin_units(client)
    created = household(client, id_number=ID, village_code=VILLAGE)
    household(client, head_name="李四", has_child_under_14=True, categories=["left_behind_child"])
    labels, rows = read_back(format, export(client_as("case_worker"), "households", format=format).content)
    assert len(rows) == 2  # the case office sees the child's household too
    by_label = {label: name for name, label in DERIVED.items()} if format in SHEETS else {}
    row = {by_label.get(k, k): shown(v) for k, v in rows[0].items()}
    assert labels[:7] == ["编号", "户主姓名", "身份证号码", "联系电话", "住址", "救助类别", "救助类别（名称）"]
    assert {"所在村代码", "所在村名称", "创建时间（北京时间）", "数据来源（名称）"} <= set(labels)
    expected = {"id": str(created["id"]), "head_name": "张**", "id_number_masked": "210381********101X",
                "phone": "138****5678", "address": "海城市海州****", "categories": "dibao,disabled",
                "categories_label": "低保、残疾", "members": "3", "village_code": VILLAGE, "village_name": "测试村001",
                "source": "user", "source_label": "用户录入", "created_by": "admin_case",
                "created_at": beijing(conn, "households", created["id"])}
    assert {k: row[k] for k in expected} == expected
    assert "id_number" not in row and "张三丰" not in str(rows) and "13812345678" not in str(rows)
    if format in ("csv", "xlsx"):  # no WKT: lon/lat columns, booleans as 是/否
        assert labels[-2:] == ["经度（CGCS2000）", "纬度（CGCS2000）"]
        assert (row["lon"], row["lat"], row["has_child_under_14"]) == ("122.695", "40.855", "否")
        assert "geometry" not in row and "POINT" not in str(rows)
    elif format == "kml":
        assert (row["__name"], row["geometry"]) == ("张**", "122.695,40.855")
    else:
        assert (rows[0]["geometry"].x, rows[0]["geometry"].y) == (122.695, 40.855)


def test_childrens_households_are_exported_for_the_case_office(client_as, client):
    household(client)
    household(client, head_name="李四", has_child_under_14=True)
    _, rows = read_back("csv", export(client_as("case_worker"), "households", format="csv").content)
    assert len(rows) == 2


# an admin too: it administers accounts and reads no household (issue 14)
@pytest.mark.parametrize("role", ["viewer", "funeral_planner", "place_names_editor", "boundary_surveyor", "admin"])
def test_roles_outside_the_case_office_cannot_export_households(client_as, client, conn, role):
    household(client)
    response = client_as(role).get("/api/layers/households/export", params={"format": "csv"})
    assert response.status_code == 403
    assert response.json()["message"] == "您无权查看图层“困难群众户”"
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export'")).scalar_one() == 0


def test_a_case_worker_exports_in_full_with_a_reason_and_every_record_is_audited(client_as, client):
    admin_units(client)
    first = household(client, id_number=ID)
    second = household(client, head_name="李四", phone="041212345")
    worker = client_as("case_worker")
    refused = worker.get("/api/layers/households/export", params={"format": "xlsx", "reveal": "true"})
    assert refused.status_code == 422 and refused.json()["message"] == "导出完整个人信息须填写原因（reason）"
    response = export(worker, "households", format="xlsx", reveal="true", reason="年度核查")
    labels, rows = read_back("xlsx", response.content)
    assert labels[2:4] == ["身份证号码", "身份证号码"]  # the masked one, then the revealed one
    assert [(r["head_name"], r["phone"], r["id_number"], r["address"]) for r in rows] == [
        ("张三丰", "13812345678", ID, "海城市海州街道某路8号"), ("李四", "041212345", None, "海城市海州街道某路8号")]
    entries = client.get("/api/audit", params={"user": "case_worker"}).json()["entries"]
    assert [(e["action"], e["reason"], e["detail"]) for e in entries[:2]] == [
        ("reveal", "年度核查", {"export": "xlsx", "feature_ids": [first["id"], second["id"]]}),
        ("export", None, {"format": "xlsx", "count": 2, "reveal": True})]


@pytest.mark.parametrize("role", ["viewer", "funeral_planner"])
def test_no_reveal_for_other_roles_nor_on_layers_without_personal_data(client_as, client, role):
    household(client)
    create(client, "shelters", point(), name="避难场所甲", shelter_type="emergency")
    for layer in ("households", "shelters"):
        response = client_as(role).get(f"/api/layers/{layer}/export",
                                       params={"format": "csv", "reveal": "true", "reason": "看看"})
        assert response.status_code == 403, layer
    assert client_as("case_worker").get("/api/layers/shelters/export", params={
        "format": "csv", "reveal": "true", "reason": "看看"}).status_code == 403


def test_every_layer_exports_in_every_format_and_reads_back_by_field_name(client):
    ids = {}
    for spec in registry():
        body = feature(GEOMETRY[spec.geometry_type], **sample_properties(client, spec.name))
        response = client.post(f"/api/layers/{spec.name}/features", json=body)
        assert response.status_code == 201, (spec.name, response.text)
        ids[spec.name] = response.json()["id"]
    for spec in registry():
        count = client.get(f"/api/layers/{spec.name}/features").json()["numberMatched"]
        for format in FORMATS:
            response = client.get(f"/api/layers/{spec.name}/export", params={"format": format})
            if format == "shp" and spec.geometry_type == "Geometry":  # points, lines and areas in one layer
                assert response.status_code == 422
                assert response.json()["message"].startswith("Shapefile 只能保存一种几何类型")
                continue
            assert response.status_code == 200, (spec.name, format, response.text)
            labels, rows = read_back(format, response.content)
            assert len(rows) == count, (spec.name, format)
            assert labels[0] == "编号" and len(labels) == len([k for k in rows[0] if k not in ("geometry", "__name")])
            assert ids[spec.name] in [int(float(r["id"])) for r in rows], (spec.name, format)


def test_spreadsheets_give_lengths_and_areas_in_metres_instead_of_geometry(client, conn):
    units = admin_units(client)
    line_id = create(client, "roads", line((122.6, 40.8), (122.7, 40.8)), road_class="county")["id"]
    township = units["210381001"]["id"]
    area = conn.execute(text("SELECT round(ST_Area(ST_Transform(geom, 4550))::numeric, 2)::float FROM townships "
                             "WHERE id = :id"), {"id": township}).scalar_one()
    length = conn.execute(text("SELECT round(ST_Length(ST_Transform(geom, 4550))::numeric, 2)::float FROM roads "
                               "WHERE id = :id"), {"id": line_id}).scalar_one()
    assert (round(area, -6), round(length, -2)) == (374_000_000, 8_400)  # 0.2° × 0.2°, 0.1° at 40.8°N
    labels, rows = read_back("xlsx", export(client, "townships", format="xlsx").content)
    assert labels[-1] == "面积（平方米，EPSG:4550）" and rows[0]["面积（平方米，EPSG:4550）"] == area
    labels, rows = read_back("xlsx", export(client, "roads", format="xlsx").content)
    assert labels[-1] == "长度（米，EPSG:4550）" and rows[0]["长度（米，EPSG:4550）"] == length


def test_bbox_and_attribute_filters_choose_the_rows(client):
    create(client, "shelters", point(122.69, 40.88), name="甲", shelter_type="emergency")
    create(client, "shelters", point(122.75, 40.80), name="乙", shelter_type="emergency")
    create(client, "shelters", point(122.70, 40.89), name="丙", shelter_type="fixed")
    _, rows = read_back("geojson", export(client, "shelters", format="geojson", bbox="122.6,40.85,122.72,40.9").content)
    assert [r["name"] for r in rows] == ["甲", "丙"]
    _, rows = read_back("csv", export(client, "shelters", format="csv", bbox="122.6,40.85,122.72,40.9",
                                      shelter_type="emergency").content)
    assert [r["name"] for r in rows] == ["甲"]
    response = client.get("/api/layers/shelters/export", params={"format": "csv", "colour": "red"})
    assert response.status_code == 422 and response.json()["message"] == "不能按“colour”筛选：本图层没有该字段"
    response = client.get("/api/layers/households/export", params={"format": "csv", "phone": "13812345678"})
    assert response.status_code == 422 and "不能按个人信息字段“联系电话”筛选" in response.json()["message"]


def test_formula_injection_is_escaped_in_csv_and_xlsx(client):
    create(client, "shelters", point(), name="-1+1", shelter_type="emergency", address="=HYPERLINK(\"http://x\")")
    _, rows = read_back("csv", export(client, "shelters", format="csv").content)
    assert (rows[0]["name"], rows[0]["address"]) == ("'-1+1", "'=HYPERLINK(\"http://x\")")
    book = load_workbook(io.BytesIO(export(client, "shelters", format="xlsx").content))
    sheet = book.worksheets[0]
    assert sheet["B3"].value == "'-1+1" and sheet["B3"].data_type == "s"
    assert [c.value for c in sheet[3] if isinstance(c.value, str) and c.value.startswith("=")] == []


def test_xlsx_has_a_frozen_two_row_header_fitted_widths_and_notes(client):
    admin_units(client)
    household(client, village_code=VILLAGE)
    book = load_workbook(io.BytesIO(export(client, "households", format="xlsx").content))
    sheet = book["困难群众户"]
    assert sheet.freeze_panes == "A3"
    assert sheet["B1"].value == "户主姓名" and sheet["B1"].font.b and sheet["B2"].value == "head_name"
    # 所在村代码 10, village_code 12, 210381001001 12 → 12 + 2; 所在村名称 10, no field name, 测试村001 9 → 10 + 2
    letter = next(c.column_letter for c in sheet[2] if c.value == "village_code")
    assert sheet.column_dimensions[letter].width == 14
    letter = next(c.column_letter for c in sheet[1] if c.value == "所在村名称")
    assert sheet.column_dimensions[letter].width == 12
    assert book.sheetnames == ["困难群众户", "说明"] and "北京时间" in book["说明"]["A3"].value


def test_gbk_for_old_desktop_tools(client):
    admin_units(client)
    create(client, "shelters", point(), name="堃园避难场所", shelter_type="emergency", village_code=VILLAGE)
    content = export(client, "shelters", format="csv", encoding="gbk").content
    assert not content.startswith(b"\xef\xbb\xbf") and "堃园避难场所".encode("gbk") in content
    _, rows = read_back("csv", content, encoding="gbk")
    assert (rows[0]["name"], rows[0]["所在村名称"]) == ("堃园避难场所", "测试村001")
    for encoding, cpg in (("gbk", "GBK"), ("utf-8", "UTF-8")):
        archive = zipfile.ZipFile(io.BytesIO(export(client, "shelters", format="shp", encoding=encoding).content))
        assert sorted(n.rsplit(".", 1)[1] for n in archive.namelist()) == ["cpg", "csv", "dbf", "prj", "shp", "shx"]
        assert archive.read("shelters.cpg").decode().strip() == cpg
        assert "堃园避难场所".encode(encoding) in archive.read("shelters.dbf")
    _, rows = read_back("shp", export(client, "shelters", format="shp", encoding="gbk").content)
    assert (rows[0]["name"], rows[0]["village_code"], rows[0]["village_name"]) == ("堃园避难场所", VILLAGE, "测试村001")
    refused = client.get("/api/layers/shelters/export", params={"format": "xlsx", "encoding": "gbk"})
    assert refused.status_code == 422 and refused.json()["message"] == "只有 CSV 和 Shapefile 可以选择 GBK 编码"


def test_a_text_gbk_cannot_hold_is_refused_by_row(client, conn):
    create(client, "shelters", point(), name="避难场所甲", shelter_type="emergency")
    create(client, "shelters", point(), name="避难场所😀", shelter_type="emergency")
    response = client.get("/api/layers/shelters/export", params={"format": "csv", "encoding": "gbk"})
    assert response.status_code == 422
    assert response.json()["message"] == "第 2 行有 GBK 编码无法表示的字符，请改用 UTF-8 导出"
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export'")).scalar_one() == 0


@pytest.mark.parametrize("format", SHEETS)
def test_the_second_header_row_holds_only_field_names_of_the_layer(client, format):
    """What the import reads back: each named column is a field of the layer (or lon/lat); columns for
    reading only (names beside codes, lengths, areas) have an empty cell there.
    """
    admin_units(client)
    create(client, "care_facilities", point(), name="幸福院甲", facility_type="happiness_home", village_code=VILLAGE,
           township_code="210381001")
    content = export(client, "care_facilities", format=format).content
    if format == "csv":
        labels, names = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[:2]
    else:
        labels, names = [list(r) for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(
            max_row=2, values_only=True)]
    fields = {f.name for f in registry().get("care_facilities").all_fields} | {"lon", "lat"}
    assert [n for n in names if n] == [n for n in names if n in fields]
    assert [label for label, n in zip(labels, names, strict=True) if not n] == [
        "机构类型（名称）", "所在村名称", "所在乡镇名称", "数据来源（名称）"]
