"""Lifecycle (approve with code, announce, rename, abolish), search, sign mismatches and publication."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from layers.catalog import registry
from layers.errors import Conflict, InvalidInput
from layers.features import feature_history
from layers.gazetteer import lifecycle, publication
from layers.gazetteer.names import add_variant, variants_of
from layers.gazetteer.search import SearchQuery, search
from layers.gazetteer.signs import mismatched_signs
from tests.utils.gazetteer import A_XY, ACTOR, B_XY, A, B, add_place, make_area

DAY = date(2025, 3, 1)


def version(conn, place_id):
    return conn.execute(text("SELECT version FROM place_names WHERE id = :i"), {"i": place_id}).scalar_one()


def row(conn, place_id):
    return conn.execute(text("SELECT * FROM place_names WHERE id = :i"), {"i": place_id}).mappings().one()


def approve(conn, place_id, day=DAY):
    return lifecycle.approve(conn, place_id, version(conn, place_id), ACTOR, authority="海城市人民政府",
                             doc_no="海政地〔2025〕1号", approval_date=day)


def test_approval_assigns_codes_per_township_and_class(conn):
    make_area(conn)
    first = add_place(conn, "王家屯", "06100", A_XY, status="proposed")
    second = add_place(conn, "李家屯", "06100", A_XY, status="proposed")
    other = add_place(conn, "张家屯", "06100", B_XY, status="proposed")
    for place in (first, second, other):
        approve(conn, place)
    assert [row(conn, p)["code"] for p in (first, second, other)] == [
        "21038100106100000001", "21038100106100000002", "21038110106100000001"]
    assert row(conn, first)["status"] == "approved"
    assert row(conn, first)["approval_doc_no"] == "海政地〔2025〕1号"
    with pytest.raises(Conflict):
        approve(conn, first)  # already approved


def test_announce_then_rename_keeps_id_and_code_and_records_the_old_name(conn):
    make_area(conn)
    place = add_place(conn, "幸福路", "07100", A_XY, status="proposed")
    approve(conn, place)
    lifecycle.announce(conn, place, version(conn, place), ACTOR, announced_date=date(2025, 3, 10))
    assert (row(conn, place)["status"], row(conn, place)["announced_date"]) == ("announced", date(2025, 3, 10))
    code = row(conn, place)["code"]
    lifecycle.file_record(conn, place, version(conn, place), ACTOR, filed_date=date(2025, 3, 12),
                          filed_to="鞍山市人民政府")
    lifecycle.rename(conn, place, version(conn, place), ACTOR, new_name="和平路", doc_no="海政地〔2025〕9号",
                     rename_date=date(2025, 6, 1), justification="道路改线，原名与实际不符")
    renamed = row(conn, place)
    assert (renamed["name"], renamed["pinyin"], renamed["pinyin_toned"], renamed["code"], renamed["status"]) == (
        "和平路", "Heping Lu", "Hépíng Lù", code, "approved")
    # the new name is filed and announced anew, its 15 days from the renaming; the old filing stays with the old name
    assert (renamed["approval_date"], renamed["filed_date"], renamed["filed_to"], renamed["announced_date"],
            renamed["approved_here"]) == (date(2025, 6, 1), None, None, None, True)
    assert [(v["name"], v["kind"], v["end_date"], v["document"], v["pinyin"], v["reason"], v["filed_date"],
             v["filed_to"], v["announced_date"]) for v in variants_of(conn, place)] == [
        ("幸福路", "historical", "2025-06-01", "海政地〔2025〕9号", "Xingfu Lu", "道路改线，原名与实际不符",
         "2025-03-12", "鞍山市人民政府", "2025-03-10")]
    history = feature_history(conn, registry().get("place_names"), place)
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5]
    assert history[-1]["reason"] == (
        "更名：幸福路 → 和平路（海政地〔2025〕9号）；理由：道路改线，原名与实际不符；原名“幸福路”的备案、公告"
        "（2025-03-12 向鞍山市人民政府备案、2025-03-10 公告）保留在其历史名称中；新名称须于 2025-06-16 前"
        "重新备案、公告（《地名管理条例》第十三条、第十四条）")
    assert [(d["id"], d["due_date"], d["steps"]) for d in lifecycle.deadlines(conn, date(2025, 6, 12))] == [
        (place, "2025-06-16", ["备案", "公告"])]
    assert history[-1]["properties"]["name"] == "和平路"


def test_renaming_a_protected_name_needs_a_justification(conn):
    make_area(conn)
    place = add_place(conn, "牛庄镇", "03100", B_XY, culture_protected=True, status="approved")
    with pytest.raises(InvalidInput, match="needs a justification") as refused:
        lifecycle.rename(conn, place, version(conn, place), ACTOR, new_name="新庄镇", doc_no="辽政〔2025〕2号",
                         rename_date=DAY, justification=" ")
    assert refused.value.message == ("“牛庄镇”列入地名保护名录，更名须填写理由"
                                     "（《地名管理条例》第十条：地名与实际不符等）")
    lifecycle.rename(conn, place, version(conn, place), ACTOR, new_name="新庄镇", doc_no="辽政〔2025〕2号",
                     rename_date=DAY, justification="行政区划调整，经专家论证")
    history = feature_history(conn, registry().get("place_names"), place)
    assert "；理由：行政区划调整，经专家论证；" in history[-1]["reason"]


def test_a_rename_that_breaks_the_rules_is_refused(conn):
    make_area(conn)
    add_place(conn, "王家村", "04100", A_XY)
    place = add_place(conn, "李家村", "04100", B_XY)
    with pytest.raises(InvalidInput, match="naming rules"):
        lifecycle.rename(conn, place, version(conn, place), ACTOR, new_name="王家村", doc_no="x", rename_date=DAY,
                         justification="村庄合并")


def test_abolished_names_become_historical_and_stay_searchable(conn):
    make_area(conn)
    place = add_place(conn, "东风屯", "06100", A_XY)
    lifecycle.abolish(conn, place, version(conn, place), ACTOR, abolished_date=date(2024, 5, 1),
                      doc_no="海政〔2024〕5号")
    assert (row(conn, place)["status"], row(conn, place)["abolished_year"]) == ("historical", 2024)
    found = search(conn, SearchQuery("东风屯"))
    assert [(i["id"], i["status"], i["status_title"]) for i in found["items"]] == [(place, "historical", "历史地名")]


def test_search_by_text_pinyin_initials_and_old_names(conn):
    make_area(conn)
    county = add_place(conn, "海城市", "03100", A_XY)
    river = add_place(conn, "海城河", "01100", A_XY)
    street = add_place(conn, "幸福路", "07100", A_XY)
    lifecycle.rename(conn, street, version(conn, street), ACTOR, new_name="和平路", doc_no="d", rename_date=DAY,
                     justification="道路改线")
    add_variant(conn, river, "母亲河", "colloquial")
    # demo-style historical record replaced by another place
    old = add_place(conn, "老城屯", "06100", A_XY, status="historical")
    conn.execute(text("UPDATE place_names SET replaced_by_id = :c WHERE id = :o"), {"c": county, "o": old})

    def ids(q, **kw):
        return [i["id"] for i in search(conn, SearchQuery(q, **kw))["items"]]

    assert ids("海城市") == [county]
    assert ids("海城") == [river, county]                    # prefix; ties ordered by pinyin
    avenue = add_place(conn, "人民大街", "07100", B_XY)
    assert ids("民大街") == [avenue]                         # infix (3+ characters: trigram index)
    assert ids("城河") == []                                # 2 characters: prefix only, no trigram
    assert ids("hcs") == [county]                            # initials
    assert ids("hc") == [river, county]                      # initials prefix
    assert ids("Hǎi chéng shì") == [county] == ids("haichengshi") == ids("HAICHENG SHI")
    assert ids("hai3cheng2he2") == [river]                   # tone numbers
    assert ids("海城", class_code="01") == [river]            # class prefix filter
    assert ids("海城", township_code=B) == []
    assert ids("海城", status="historical") == []
    old_name = search(conn, SearchQuery("幸福路"))["items"]
    assert [(i["id"], i["name"], i["matched"]["kind"], i["note"]) for i in old_name] == [
        (street, "和平路", "historical", "“幸福路”是曾用名，现名“和平路”")]
    replaced = search(conn, SearchQuery("老城屯"))["items"]
    assert [(i["id"], i["matched"]["kind"], i["note"]) for i in replaced] == [
        (county, "replaced", "“老城屯”是曾用名，现名“海城市”")]
    assert search(conn, SearchQuery("母亲河"))["items"][0]["note"] == "“母亲河”是“海城河”的俗称"
    page = search(conn, SearchQuery("h", limit=1, offset=1))
    assert (page["total"], len(page["items"])) == (3, 1)  # 海城市, 海城河, 和平路


def test_sign_mismatch_report_after_a_renaming(conn):
    make_area(conn)
    street = add_place(conn, "幸福路", "07100", A_XY)
    kept = add_place(conn, "和谐路", "07100", A_XY)
    for place, name, pinyin in ((street, "幸福路", "Xingfu Lu"), (kept, "和谐路", "Hexie Lu")):
        conn.execute(text("INSERT INTO place_name_signs (place_name_id, sign_type, inscription, inscription_pinyin, "
                          "geom) "
                          "VALUES (:p, 'road', :n, :y, ST_GeomFromText('POINT(122.72 40.86)', 4490))"),
                     {"p": place, "n": name, "y": pinyin})
    assert mismatched_signs(conn) == []
    lifecycle.rename(conn, street, version(conn, street), ACTOR, new_name="和平路", doc_no="d",
                     rename_date=date(2025, 6, 1), justification="道路改线")
    report = mismatched_signs(conn)
    assert [(r["place_id"], r["inscription"], r["should_read"], r["should_read_pinyin"], r["reason"])
            for r in report] == [(street, "幸福路", "和平路", "Heping Lu",
                                  "标志为“幸福路”，现标准名称为“和平路”（2025-06-01 更名）")]


def test_directory_and_announcement(conn):
    make_area(conn)
    for name in ("王家屯", "安家屯", "赵家屯"):
        approve(conn, add_place(conn, name, "06100", A_XY, status="proposed"))
    add_place(conn, "李家屯", "06100", A_XY, status="proposed")  # not approved: not listed
    rows = publication.directory_rows(conn, township_code=A)
    assert [(r["name"], r["pinyin"], r["township_name"], r["village_name"], r["class_title"]) for r in rows] == [
        ("安家屯", "Anjiatun", "海州街道", "海州社区", "居民点·自然村"),
        ("王家屯", "Wangjiatun", "海州街道", "海州社区", "居民点·自然村"),
        ("赵家屯", "Zhaojiatun", "海州街道", "海州社区", "居民点·自然村")]
    header, values = publication.table(rows, publication.DIRECTORY_COLUMNS)
    assert header[:4] == ["地名代码", "标准名称", "罗马字母拼写", "类别"]
    assert values[0][1:3] == ["安家屯", "Anjiatun"]
    announced = publication.announcement_rows(conn, date(2025, 1, 1), date(2025, 12, 31))
    assert [r["name"] for r in announced] == ["安家屯", "王家屯", "赵家屯"]
    assert announced[0]["division"] == "辽宁省鞍山市海城市海州街道"
    body = publication.announcement_text(announced, date(2025, 1, 1), date(2025, 12, 31))
    assert ("1. 命名“安家屯”（Anjiatun），居民点·自然村，位于辽宁省鞍山市海城市海州街道；"
            "海城市人民政府2025-03-01批准（海政地〔2025〕1号）。") in body
    assert publication.announcement_rows(conn, date(2024, 1, 1), date(2024, 12, 31)) == []
