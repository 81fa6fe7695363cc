"""Naming rules against the database: scopes of duplicates and homophones, derived township/village (on the
small test area of ``tests.utils.gazetteer``)."""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point
from sqlalchemy import text

from layers.catalog import registry
from layers.features import update_feature
from layers.gazetteer.rules import validate
from tests.utils.gazetteer import A_XY, ACTOR, B_XY, A, B, add_place, make_area


def rules(result: dict[str, Any]) -> list[tuple[str, str, list[int]]]:
    return [(p["rule"], p["severity"], p["conflicts"]) for p in result["problems"]]


def test_homophone_in_the_county_is_a_warning(conn):
    make_area(conn)
    wang = add_place(conn, "王家村", "04100", A_XY)
    result = validate(conn, "汪家村", "04100", Point(*B_XY))
    assert result["ok"] is True
    assert result["pinyin_suggestion"] == "Wangjia Cun"
    assert rules(result) == [("homophone", "warning", [wang])]
    assert result["problems"][0]["message"] == (
        f"与全市（县级行政区域）内已有地名同音：王家村（Wangjia Cun；海州街道，编号 {wang}），应避免同音")
    assert result["problems"][0]["records"] == [{"id": wang, "name": "王家村", "township": "海州街道"}]


def test_duplicate_village_anywhere_in_the_county_is_an_error(conn):
    make_area(conn)
    wang = add_place(conn, "王家村", "04100", A_XY)
    result = validate(conn, "王家村", "04100", Point(*B_XY))
    assert result["ok"] is False
    assert rules(result) == [("duplicate", "error", [wang])]


def test_street_duplicate_only_within_the_same_built_up_area(conn):
    make_area(conn)
    street = add_place(conn, "幸福路", "07100", A_XY)
    other_area = validate(conn, "幸福路", "07100", Point(*B_XY))
    assert other_area == {"ok": True, "pinyin_suggestion": "Xingfu Lu", "pinyin_suggestion_toned": "Xìngfú Lù",
                          "specific_part": "幸福", "generic_part": "路", "problems": []}
    same_area = validate(conn, "幸福路", "07100", Point(A_XY[0] + 0.005, A_XY[1]))
    assert rules(same_area) == [("duplicate", "error", [street])]
    assert same_area["problems"][0]["message"] == (
        f"与同一建成区（海州建成区）内已有地名重名：幸福路（海州街道，编号 {street}）")
    # a residential area counts too: streets and residential areas share the built-up scope
    assert rules(validate(conn, "幸福路", "06200", Point(*A_XY))) == [("duplicate", "error", [street])]


def test_townships_are_checked_against_all_townships(conn):
    make_area(conn)
    town = add_place(conn, "牛庄镇", "03100", B_XY)
    province = ("province_scope", "warning", [])  # only Haicheng's records are here: said every time
    assert rules(validate(conn, "牛庄镇", "03100", Point(*A_XY))) == [("duplicate", "error", [town]), province]
    assert rules(validate(conn, "牛壮镇", "03100")) == [("homophone", "warning", [town]), province]
    assert rules(validate(conn, "新台镇", "03100")) == [province]


def test_renaming_excludes_the_record_itself_and_flags_protected_names(conn):
    make_area(conn)
    place = add_place(conn, "王家村", "04100", A_XY, culture_protected=True)
    assert rules(validate(conn, "王家村", "04100", None, place)) == []
    assert rules(validate(conn, "李家村", "04100", None, place)) == [("protected_rename", "warning", [place])]


def test_historical_names_do_not_conflict(conn):
    make_area(conn)
    add_place(conn, "王家村", "04100", A_XY, status="historical")
    assert rules(validate(conn, "王家村", "04100", Point(*B_XY))) == []


def test_township_and_village_are_derived_from_the_geometry_and_follow_moves(conn):
    make_area(conn)
    place = add_place(conn, "幸福路", "07100", A_XY)
    row = conn.execute(text("SELECT township_code, village_code, version FROM place_names WHERE id = :i"),
                       {"i": place}).one()
    assert tuple(row[:2]) == (A, A + "001")
    update_feature(conn, registry().get("place_names"), place, row.version, {}, Point(*B_XY), ACTOR)
    moved = conn.execute(text("SELECT township_code, village_code FROM place_names WHERE id = :i"), {"i": place}).one()
    assert tuple(moved) == (B, B + "001")


def test_pinyin_keys_are_generated_by_the_database(conn):
    make_area(conn)
    conn.execute(text("INSERT INTO place_names (name, class_code, pinyin, geom) VALUES "
                      "('海城市', '03100', 'Haicheng Shi', ST_GeomFromText('POINT(122.72 40.86)', 4490)), "
                      "('腾鳌镇', '03100', 'Téng''áo Zhèn', ST_GeomFromText('POINT(122.72 40.86)', 4490)), "
                      "('西安路', '07100', 'Xi''an Lu', ST_GeomFromText('POINT(122.72 40.86)', 4490)), "
                      "('经五路', '07100', 'Jing 5 Lu', ST_GeomFromText('POINT(122.72 40.86)', 4490)), "
                      "('王家堡', '06100', 'Wangjiabao', ST_GeomFromText('POINT(122.72 40.86)', 4490))"))
    rows = conn.execute(text("SELECT name, pinyin_key, pinyin_initials, township_code FROM place_names "
                             "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("海城市", "haichengshi", "hcs", None),  # the county itself is not placed in a township
        ("腾鳌镇", "tengaozhen", "taz", A),
        ("西安路", "xianlu", "xal", A),
        ("经五路", "jing5lu", "j5l", A),
        ("王家堡", "wangjiabao", "wjb", A),
    ]


def test_a_committee_name_filed_as_a_natural_village_is_split_right_and_flagged(conn):
    make_area(conn)
    committee = add_place(conn, "西响社区", "04100", A_XY)
    result = validate(conn, "西响社区", "06100", Point(A_XY[0] + 0.005, A_XY[1]))  # the form's default class
    assert (result["specific_part"], result["generic_part"]) == ("西响", "社区")
    assert rules(result) == [("class_mismatch", "warning", []), ("same_name_other_class", "warning", [committee])]
    assert result["problems"][0]["message"] == "“社区”是村（居）民委员会（04100）的通名，不是自然村的：请确认类别"
    assert result["problems"][1]["message"] == (
        f"同一乡镇（海州街道）内已有同名的其他类别地名“西响社区”：编号 {committee}（村（居）民委员会），"
        "请确认不是同一地方")
    assert rules(validate(conn, "西响社区", "06100", Point(*B_XY))) == [("class_mismatch", "warning", [])]


def test_each_class_is_held_to_its_own_scope_with_its_basis(conn):
    """Art. 9: 村(居)委会所在地 — the county (error); 街路巷/居住区 — the same built-up area (error);
    乡镇 — the province, checked in the county (error + a warning saying so); natural villages are not
    listed: a duplicate anywhere in the county is a warning only."""
    make_area(conn)
    village = add_place(conn, "和平屯", "06100", A_XY)
    committee = add_place(conn, "和平村", "04100", A_XY)
    street = add_place(conn, "和平路", "07100", A_XY)
    town = add_place(conn, "和平镇", "03100", A_XY)
    elsewhere = Point(*B_XY)  # another township, another built-up area
    natural = validate(conn, "和平屯", "06100", elsewhere)
    assert (natural["ok"], rules(natural)) == (True, [("duplicate", "warning", [village])])
    assert natural["problems"][0]["message"] == (
        f"与全市（县级行政区域）内已有地名重名：和平屯（海州街道，编号 {village}）")
    assert natural["problems"][0]["basis"] == "第九条未列入此类（如自然村）：全市范围内重名仅作提示（本项目约定）"
    same_township = validate(conn, "和平屯", "06100", Point(A_XY[0] + 0.005, A_XY[1]))
    assert rules(same_township)[0] == ("duplicate", "warning", [village])
    seat = validate(conn, "和平村", "04100", elsewhere)
    assert (seat["ok"], rules(seat)) == (False, [("duplicate", "error", [committee])])
    assert seat["problems"][0]["basis"] == (
        "《地名管理条例》（2022）第九条：村（居）民委员会所在地名称在一个县级行政区域内不重名、避免同音")
    assert rules(validate(conn, "和平路", "07100", elsewhere)) == []
    near = validate(conn, "和平路", "07100", Point(A_XY[0] + 0.005, A_XY[1]))
    assert rules(near) == [("duplicate", "error", [street])]
    assert near["problems"][0]["basis"].endswith(
        "（建成区以包含该地的城镇规划区近似，无规划区时以所在乡镇（街道）近似）")
    township = validate(conn, "和平镇", "03100", elsewhere)
    assert rules(township) == [("duplicate", "error", [town]), ("province_scope", "warning", [])]
    assert township["problems"][1]["basis"].endswith(
        "（本系统只有海城市的记录，故在全市范围内核对，并提示与省级数据核对）")
