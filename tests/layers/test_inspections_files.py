"""Inspection files without the database: docstring examples, the GeoPackage value domain as GDAL reads it,
field files in their several shapes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from formats.gpkg import add_enum_domain, enum_domains, write_layer
from layers.errors import InvalidInput
from layers.inspections.displacement import displacement, grid_positions
from layers.inspections.field_records import read_csv, read_field_file
from layers.inspections.models import CONDITIONS
from layers.inspections.package import _empty_records
from layers.inspections.results import parse_condition, to_input


def test_check_value_of_domain_md():
    # DOMAIN.md §2: (122.75 E, 40.85 N) → EPSG:4550 E 478 918.58, N 4 523 945.51
    position = grid_positions(122.75, 40.85)
    assert (position["e_4550"], position["n_4550"]) == (478918.58, 4523945.51)
    assert position["y_4529"] == 41478918.58
    assert displacement((122.75, 40.85), (122.75, 40.85)).metres == 0.0


def test_condition_domain_is_a_gdal_coded_domain(tmp_path):
    path = tmp_path / "records.gpkg"
    write_layer(path, _empty_records(), "inspection_records", "联检记录", geometry_type="Point")
    add_enum_domain(path, "inspection_records", "condition", "inspection_condition", CONDITIONS, "界桩状况")
    add_enum_domain(path, "inspection_records", "condition", "inspection_condition", CONDITIONS)  # idempotent
    assert enum_domains(path) == {("inspection_records", "condition"): CONDITIONS}
    if shutil.which("ogrinfo"):  # GDAL's own reading of the domain, when the GDAL tools are installed
        out = subprocess.run(["ogrinfo", "-q", str(path), "-fielddomain", "inspection_condition"],
                             capture_output=True, text=True, check=True).stdout
        assert "Type: coded" in out and "intact: 完好" in out


def test_csv_with_chinese_headers_and_zone_prefixed_coordinates():
    data = ("界桩编号,状况,检查时间,东坐标,北坐标,照片\n"
            "7,注记不清（需描红）,2025-05-01 10:00,41478918.58,4523945.51,a.jpg；b.jpg\n")
    parsed = read_csv(data.encode("gb18030"))
    row = parsed.rows[0]
    assert row.crs == "EPSG:4529" and row.where == "第 2 行"
    record = to_input(row, "csv", {}, 0.05)
    assert record.marker_id == 7 and record.condition == "illegible" and record.photo_names == ["a.jpg", "b.jpg"]
    assert (round(record.geom.x, 7), round(record.geom.y, 7)) == (122.75, 40.85)
    assert record.measured_at.isoformat() == "2025-05-01T10:00:00+08:00"


def test_rows_that_cannot_be_read_are_named(tmp_path):
    with pytest.raises(InvalidInput) as error:
        to_input(read_csv(b"marker_id,condition\n1,cracked\n").rows[0], "csv", {}, 0.05)
    assert "不在可选值" in error.value.message
    with pytest.raises(InvalidInput) as error:
        to_input(read_csv(b"marker_id,lon,lat\n1,116.4,39.9\n").rows[0], "csv", {}, 0.05)
    assert "超出海城市范围" in error.value.message
    with pytest.raises(InvalidInput) as error:
        read_csv(b"a,b\n1,2\n")
    assert "界桩列" in error.value.message
    (tmp_path / "x.shp").write_bytes(b"")
    with pytest.raises(InvalidInput) as error:
        read_field_file(b"", "x.shp")
    assert "不支持的文件类型" in error.value.message
    assert parse_condition("方位物变化") == "reference_changed"
