"""A full export of households (an audited reveal) imports back unchanged; a masked one is refused."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from tests.imports.conftest import UNCHANGED, checked, export_then_import
from tests.utils.features import create, point
from tests.utils.write_strictness import VILLAGE, admin_units

IDS = ("21038119800101101X", "210381198505050012")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "geojson", "shp", "kml"])
def test_a_full_household_export_imports_back_unchanged(client, client_as, tmp_path: Path, fmt: str) -> None:
    admin_units(client)
    worker = client_as("case_worker")
    for number, name in zip(IDS, ("张三丰", "李四"), strict=True):
        create(worker, "households", point(122.65, 40.85), head_name=name, id_number=number, phone="13812345678",
               categories=["dibao", "disabled"], members=2, village_code=VILLAGE)
    report = export_then_import(worker, "households", fmt, tmp_path, reveal="true", reason="导出后再导入核对")
    assert report["counts"] == {"rows": 2, **UNCHANGED, "unchanged": 2}, report


def test_a_masked_household_export_is_refused_by_the_import(client, client_as, tmp_path: Path) -> None:
    admin_units(client)
    worker = client_as("case_worker")
    create(worker, "households", point(122.65, 40.85), head_name="张三丰", id_number=IDS[0], categories=["dibao"],
           village_code=VILLAGE)
    path = tmp_path / "households.csv"
    path.write_bytes(worker.get("/api/layers/households/export", params={"format": "csv"}).content)
    report = checked(worker, "households", path)["report"]
    assert not report["ok"] and report["counts"]["insert"] + report["counts"]["update"] == 0
    # a masked export has no ID numbers to know the households by (and its names carry “*”)
    assert report["file_problems"] == ["导入困难群众户须有“身份证号码”列：用它识别同一户，重复导入不会重复登记"]
    assert report["unknown_columns"] == ["救助类别（名称）", "所在村名称", "数据来源（名称）"]


def test_a_shapefile_export_imports_back_without_a_mapping(client, tmp_path: Path) -> None:
    """dBASE cuts column names to 10 characters; the importer reads the zip's 字段说明.csv to undo it."""
    admin_units(client)
    for name in ("东关小学操场", "西关广场"):
        create(client, "shelters", point(122.66, 40.86), name=name, shelter_type="emergency", capacity=800,
               service_radius_m=500.0, village_code=VILLAGE)
    content = client.get("/api/layers/shelters/export", params={"format": "shp"}).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        key = list(csv.reader(io.StringIO(archive.read("字段说明.csv").decode("utf-8-sig"))))
    assert key[0] == ["dbf字段", "字段名", "中文名"]
    mapping = {short: name for short, name, _ in key[1:] if short != name}
    assert {"shelter_ty": "shelter_type", "service_ra": "service_radius_m", "village_co": "village_code"}.items() \
        <= mapping.items()
    path = tmp_path / "shelters.zip"
    path.write_bytes(content)
    body = checked(client, "shelters", path)
    assert {"shelter_type", "service_radius_m", "village_code"} <= set(body["report"]["columns"])
    assert body["report"]["counts"] == {"rows": 2, "problem_rows": 0, "problems": 0, "insert": 0, "update": 0,
                                        "unchanged": 2}, body["report"]
