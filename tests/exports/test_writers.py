"""The writers of ``formats`` on their own: CSV encodings, XLSX headers, Shapefile column names, KML text."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from formats import FileRefused
from formats.sheets import Column, Sheet, to_csv, workbook
from formats.vectors import dbf_names, to_kml

COLUMNS = [Column("name", "名称"), Column("note", "备注"), Column("name_label", "名称（读）", derived=True)]


def test_csv_has_labels_then_field_names_and_derived_columns_have_none():
    body = to_csv(COLUMNS, [["甲", "=1+1", "x"]]).decode("utf-8")
    assert body == "\ufeff名称,备注,名称（读）\r\nname,note,\r\n甲,'=1+1,x\r\n"


def test_a_gbk_refusal_names_the_data_row_even_after_a_line_break_in_a_cell():
    rows = [["甲", "第一行\n第二行", ""], ["乙", "😀", ""]]
    with pytest.raises(FileRefused) as refused:
        to_csv(COLUMNS, rows, encoding="gbk")
    assert refused.value.message == "第 2 行有 GBK 编码无法表示的字符，请改用 UTF-8 导出"
    assert to_csv(COLUMNS, rows[:1], encoding="gbk").decode("gbk").splitlines()[0] == "名称,备注,名称（读）"


def test_a_sheet_without_field_names_freezes_one_row():
    book = load_workbook(io.BytesIO(workbook([Sheet("表", COLUMNS, [["甲", "@x", None]], field_names=False)],
                                             ["说明文字"])))
    sheet = book["表"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[2]] == ["甲", "'@x", None]
    assert book["说明"]["A1"].value == "说明文字"


def test_dbf_column_names_are_unique_within_ten_characters():
    names = dbf_names([Column("service_radius_m", ""), Column("service_radius_km", ""), Column("Service_r", ""),
                       Column("id", "")])
    assert names == ["service_ra", "service_1", "Service_r", "id"]


def test_kml_escapes_text_and_drops_control_characters():
    content = to_kml("t", "图层<1>", [Column("name", "名称"), Column("flag", "是否")],
                     [["A&B\x01<c>", True]], [Point(122.5, 40.75)], "name")
    root = ElementTree.fromstring(content)
    ns = "{http://www.opengis.net/kml/2.2}"
    assert root.findtext(f"{ns}Document/{ns}name") == "图层<1>"
    placemark = root.find(f"{ns}Document/{ns}Placemark")
    assert placemark.findtext(f"{ns}name") == "A&B<c>"
    assert [(d.get("name"), d.findtext(f"{ns}displayName"), d.findtext(f"{ns}value"))
            for d in placemark.iter(f"{ns}Data")] == [("name", "名称", "A&B<c>"), ("flag", "是否", "true")]
    assert placemark.findtext(f"{ns}Point/{ns}coordinates") == "122.5,40.75"
