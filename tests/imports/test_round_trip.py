"""Export → import gives the same rows: a second import of an export changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imports.conftest import UNCHANGED, checked, export_then_import, problems
from tests.imports.corpus import HOUSEHOLDS


@pytest.mark.parametrize("fmt", ["geojson", "csv", "xlsx", "gpkg", "shp", "kml"])
def test_export_then_import_changes_nothing(client, corpus, places, tmp_path: Path, fmt: str) -> None:
    body = checked(client, "shelters", corpus["shelters.geojson"])
    client.post(f"/api/layers/shelters/imports/{body['id']}/commit")
    report = export_then_import(client, "shelters", fmt, tmp_path)
    assert report["ok"], report
    assert report["counts"] == {"rows": 2, **UNCHANGED, "unchanged": 2}


def test_a_masked_export_is_not_imported_back(client_as, corpus, places, tmp_path: Path) -> None:
    worker = client_as("case_worker")
    worker.post(f"/api/layers/households/imports/{checked(worker, 'households', corpus['households.csv'])['id']}"
                "/commit")
    masked = tmp_path / "masked.csv"
    rows = [f"{name[0]}*,{number},低保,{members},东关村,{lon},{lat}"
            for name, number, _c, members, _v, lon, lat in HOUSEHOLDS]
    masked.write_text("户主姓名,身份证号码,救助类别,家庭人口,所在村,经度,纬度\n" + "\n".join(rows) + "\n", "utf-8")
    body = checked(worker, "households", masked)
    assert problems(body) == [(n, "户主姓名", "户主姓名：含“*”，是脱敏后的值：请导入原始数据") for n in (2, 3, 4)]


def test_a_second_header_row_of_field_names_maps_the_columns(client, corpus, places, tmp_path: Path) -> None:
    """As exports that put the field names under the Chinese labels write them."""
    path = tmp_path / "two_headers.csv"
    path.write_text("场所名,种类,人数,X,Y\nname,shelter_type,capacity,_lon,_lat\n东关小学操场,emergency,800,122.711,40.861\n",
                    "utf-8")
    body = checked(client, "shelters", path)
    assert body["report"]["ok"], body["report"]
    assert body["report"]["columns"] == {"场所名": "name", "种类": "shelter_type", "人数": "capacity", "X": "_lon",
                                         "Y": "_lat"}
    assert body["report"]["notes"][0] == "第 2 行是字段名（导出文件的第二行表头），按它对应各列"
