"""Boundary markers from a file: the 方位物 (a JSON value) and the number rules checked by row in the dry
run, the number matched as it is stored, and new rows copied in with their JSON as sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from layers.boundaries import SUFFIX_BASIS
from tests.imports.conftest import UNCHANGED, checked, export_then_import, problems
from tests.utils.features import feature, line

TREE = {"name": "独立树", "bearing_deg": 45, "distance_m": 12.5}


def _markers_file(tmp_path: Path, line_id: int, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "markers.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(122.65 + i / 1000, 3), 40.825]},
         "properties": {"line_id": line_id, "marker_type": "single", **row}} for i, row in enumerate(rows)]},
        ensure_ascii=False), "utf-8")
    return path


def _surveyor_and_line(client_as: Any) -> tuple[Any, int]:
    surveyor = client_as("boundary_surveyor")
    made = surveyor.post("/api/layers/boundary_lines/features", json=feature(
        line((122.60, 40.80), (122.70, 40.85)), name="导入测试界线", line_level="county", side_a="海城市",
        side_b="大石桥市"))
    assert made.status_code == 201, made.text
    return surveyor, made.json()["id"]


def test_a_json_value_is_copied_in_and_a_second_import_changes_nothing(client_as, conn, tmp_path: Path) -> None:
    surveyor, line_id = _surveyor_and_line(client_as)
    references = [TREE, {"name": "水井“东”", "bearing_deg": 270, "distance_m": 8}]
    # the number's type letter in lower case: matched as it is stored (0417Q), so the second import finds it
    path = _markers_file(tmp_path, line_id, [{"number": "0417q", "reference_objects": references}])
    first = checked(surveyor, "boundary_markers", path)
    assert first["report"]["ok"], first["report"]
    committed = surveyor.post(f"/api/layers/boundary_markers/imports/{first['id']}/commit")
    assert committed.status_code == 200, committed.text
    stored = conn.execute(text("SELECT number, reference_objects FROM boundary_markers WHERE line_id = :l"),
                          {"l": line_id}).one()
    assert stored.number == "0417Q"
    assert stored.reference_objects == [{**r, "bearing_deg": float(r["bearing_deg"]),
                                         "distance_m": float(r["distance_m"])} for r in references]
    again = checked(surveyor, "boundary_markers", path)
    assert again["report"]["counts"] == {"rows": 1, "problem_rows": 0, "problems": 0, "insert": 0, "update": 0,
                                         "unchanged": 1}


def test_a_marker_the_write_would_refuse_is_named_by_row_in_the_dry_run(client_as, tmp_path: Path) -> None:
    surveyor, line_id = _surveyor_and_line(client_as)
    path = _markers_file(tmp_path, line_id, [
        {"number": "0501Q", "reference_objects": [{"name": "独立树", "bearing_deg": 400, "distance_m": 5}]},
        {"number": "0502A", "reference_objects": [TREE]},
        {"number": "0503Q", "reference_objects": "独立树"},
        {"number": "0504Q", "reference_objects": [TREE]},
    ])
    body = checked(surveyor, "boundary_markers", path)  # a GeoJSON's rows are its features, from 1
    assert problems(body) == [
        (1, "方位物", "第 1 个方位物应有名称、方位角（0–360°，自北顺时针）和距离（大于 0 米）"),
        (2, "界桩号", "界桩号“0502A”与界桩类型“单立”不符：单立界桩的编号应以 Q 结尾"
                      f"（如 004Q；单立 Q、同号双立 A/B、同号三立 C/D/E；依据：{SUFFIX_BASIS}）"),
        (3, "方位物", '方位物：应为 JSON 写法的列表或对象，如 [{"name": "独立树", "bearing_deg": 45, '
                      '"distance_m": 12.5}]'),
    ]
    assert body["report"]["counts"]["problem_rows"] == 3


@pytest.mark.parametrize("fmt", ["geojson", "csv", "xlsx", "gpkg", "shp", "kml"])
def test_exported_markers_import_back_unchanged(client_as, tmp_path: Path, fmt: str) -> None:
    """方位物 leave as JSON text in a table (a list of objects has no other cell form) and come back the same."""
    surveyor, line_id = _surveyor_and_line(client_as)
    first = checked(surveyor, "boundary_markers", _markers_file(tmp_path, line_id, [
        {"number": "0601Q", "reference_objects": [TREE]}, {"number": "0602Q"}]))
    assert surveyor.post(f"/api/layers/boundary_markers/imports/{first['id']}/commit").status_code == 200
    report = export_then_import(surveyor, "boundary_markers", fmt, tmp_path)
    assert report["counts"] == {"rows": 2, **UNCHANGED, "unchanged": 2}, report


def test_a_cell_nested_too_deep_is_a_problem_of_its_row(client_as, tmp_path: Path) -> None:
    """JSON nested beyond the parser's stack (RecursionError, an answer 500 before) is not JSON."""
    surveyor, line_id = _surveyor_and_line(client_as)
    path = tmp_path / "deep.csv"
    deep = "[" * 30_000
    path.write_text(f"所在界线编号,界桩号,界桩类型,方位物,经度,纬度\n{line_id},0701Q,单立,{deep},122.65,40.825\n",
                    "utf-8")
    body = checked(surveyor, "boundary_markers", path)
    assert [(row, field) for row, field, _ in problems(body)] == [(2, "方位物")]
