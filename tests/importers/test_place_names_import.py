"""Import of census-style place-name data: GBK CSV, XLSX and GeoPackage; dry run, idempotent commit."""

from __future__ import annotations

import io

import geopandas
from openpyxl import Workbook
from shapely.geometry import Point
from sqlalchemy import text

from importers.place_names import commit_import, dry_run
from tests.utils.gazetteer import ACTOR, make_area

CSV = (
    "标准名称,罗马字母拼写,类别,东经,北纬,地名代码,别名,含义,测量方法\n"
    "王家屯,Wangjiatun,自然村,122.72,40.86,21038100106100000007,王屯,王姓始居,实测\n"
    "十里堡,,06100,122°37′12″,40°51′36″,,,,图解\n"
    "幸福路,Xingfu Lu,道路街巷,40.86,122.72,,,,\n"
    "路,,道路街巷,122.72,40.86,,,,\n"
    "龘家沟,,自然村,122.72,40.86,,,,\n"
)


def gbk(content: str = CSV) -> bytes:
    return content.encode("gbk")


def test_gbk_csv_dry_run_reports_every_row(conn):
    make_area(conn)
    report = dry_run(conn, gbk(), "普查.csv")
    assert (report["encoding"], report["rows"], report["committed"]) == ("gbk", 5, False)
    assert report["columns"]["标准名称"] == "name" and report["unmapped"] == []
    assert [(i["row"], i["name"], i["class_code"], i["action"]) for i in report["items"]] == [
        (2, "王家屯", "06100", "insert"), (3, "十里堡", "06100", "insert"), (4, "幸福路", "07100", "error"),
        (5, "路", "07100", "error"), (6, "龘家沟", "06100", "error")]
    assert [p["rule"] for p in report["items"][2]["problems"]] == ["geometry"]
    assert "经纬度顺序颠倒" in report["items"][2]["problems"][0]["message"]
    assert [p["rule"] for p in report["items"][3]["problems"]] == ["generic_only"]
    assert [p["rule"] for p in report["items"][4]["problems"]] == ["rare_character"]
    assert report["summary"] == {"insert": 2, "update": 0, "unchanged": 0, "error": 3}
    assert conn.execute(text("SELECT count(*) FROM place_names")).scalar_one() == 0


def test_commit_is_idempotent_on_the_code(conn):
    make_area(conn)
    first = commit_import(conn, gbk(), "普查.csv", ACTOR)
    assert first["summary"] == {"insert": 2, "update": 0, "unchanged": 0, "error": 3}
    rows = conn.execute(text("SELECT name, code, pinyin, township_code, survey_method, meaning, version "
                             "FROM place_names ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("王家屯", "21038100106100000007", "Wangjiatun", "210381001", "measured", "王姓始居", 1),
        ("十里堡", "21038110106100000001", "Shilipu", "210381101", "graphical", None, 1)]
    assert conn.execute(text("SELECT name, kind FROM place_name_variants")).all() == [("王屯", "alias")]
    again = commit_import(conn, gbk(), "普查.csv", ACTOR)
    assert again["summary"] == {"insert": 0, "update": 0, "unchanged": 2, "error": 3}
    changed = commit_import(conn, gbk(CSV.replace("王姓始居", "王姓先祖始居")), "普查.csv", ACTOR)
    assert changed["summary"]["update"] == 1
    assert conn.execute(text("SELECT meaning, version FROM place_names WHERE code = '21038100106100000007'")
                        ).one() == ("王姓先祖始居", 2)
    assert conn.execute(text("SELECT count(*) FROM place_names")).scalar_one() == 2
    assert conn.execute(text("SELECT count(*) FROM place_name_variants")).scalar_one() == 1


def test_xlsx_and_geopackage(conn, tmp_path):
    make_area(conn)
    book = Workbook()
    book.active.append(["名称", "汉语拼音", "类别代码", "经度", "纬度"])
    book.active.append(["和平路", "Heping Lu", "07100", 122.72, 40.86])
    buffer = io.BytesIO()
    book.save(buffer)
    report = dry_run(conn, buffer.getvalue(), "roads.xlsx")
    assert [(i["name"], i["action"], i["problems"]) for i in report["items"]] == [("和平路", "insert", [])]
    frame = geopandas.GeoDataFrame({"标准名称": ["安家屯"], "类别": ["居民点"]},
                                   geometry=[Point(122.62, 40.86)], crs="EPSG:4326")
    path = tmp_path / "names.gpkg"
    frame.to_file(path, driver="GPKG")
    result = commit_import(conn, path.read_bytes(), "names.gpkg", ACTOR)
    assert result["summary"]["insert"] == 1
    assert conn.execute(text("SELECT name, class_code, pinyin, code FROM place_names")).one() == (
        "安家屯", "06100", "Anjiatun", "21038110106100000001")
