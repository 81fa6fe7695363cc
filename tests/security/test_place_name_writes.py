"""Skipping the gazetteer through the generic feature API (issue 13 part 7, issue 14 part 1).

POST/PUT/PATCH /api/layers/place_names/features… used to store a name as 已批准 with no authority,
document or date, to set any status or approval field, and to store ``<b>x</b>`` as a place name;
``/approve`` ran no naming rule. Each attack here is replayed and must be refused (422, a Chinese
message naming what and why) and change nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.utils.features import feature, point
from tests.utils.gazetteer import A_XY, B_XY, add_place, make_area

FEATURES = "/api/layers/place_names/features"
APPROVAL = {"approval_authority": "海城市人民政府", "approval_doc_no": "海政地〔2026〕7号",
            "approval_date": "2026-03-01"}


def _count(conn: Any) -> int:
    return conn.execute(text("SELECT count(*) FROM place_names")).scalar_one()


def _row(conn: Any, place_id: int) -> Any:
    return conn.execute(text("SELECT * FROM place_names WHERE id = :i"), {"i": place_id}).mappings().one()


def test_a_new_name_is_only_proposed(client, conn):
    make_area(conn)
    response = client.post(FEATURES, json=feature(point(*A_XY), name="和平屯", class_code="06100"))
    assert response.status_code == 201, response.text
    props = response.json()["properties"]
    assert (props["status"], props["code"], props["approval_authority"], props["approval_doc_no"],
            props["approval_date"], props["approved_here"]) == ("proposed", None, None, None, None, False)


def test_creating_a_name_with_lifecycle_fields_is_refused(client, conn):
    make_area(conn)
    before = _count(conn)
    for extra, named in (({"status": "approved"}, "状态（status）"),
                         ({"status": "announced", "announced_date": "2026-01-01"},
                          "状态（status）、公告日期（announced_date）"),
                         ({"approval_date": "2026-01-01"}, "批准日期（approval_date）"),
                         ({"code": "21038100106100000099"}, "地名代码（code）"),
                         ({"filed_to": "鞍山市人民政府"}, "备案机关（filed_to）")):
        response = client.post(FEATURES, json=feature(point(*A_XY), name="和平屯", class_code="06100", **extra))
        assert response.status_code == 422, extra
        assert response.json()["message"] == (
            f"{named}只能通过地名审批流程填写（批准（approve）、备案（file）、公告（announce）、更名（rename）、"
            "废止（abolish）；新地名登记为拟命名后，/api/place-names/{编号}/…；"
            "《地名管理条例》（2022）第四条：未经批准，任何单位和个人不得擅自决定对地名进行命名、更名）")
    assert _count(conn) == before


def test_markup_and_other_rule_errors_are_refused_on_every_generic_write(client, conn):
    make_area(conn)
    before = _count(conn)
    response = client.post(FEATURES, json=feature(point(*A_XY), name="<b>x</b>", class_code="07100"))
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "地名不符合命名规则：地名应使用国家通用语言文字，不应含有“/<>bx”等字母、数字或符号"
    assert [(p["rule"], p["severity"]) for p in body["problems"]] == [("missing_generic", "warning"),
                                                                    ("script", "error")]
    assert _count(conn) == before
    # a proposed name edited by PATCH or PUT is checked again
    created = client.post(FEATURES, json=feature(point(*A_XY), name="幸福路", class_code="07100")).json()
    place_id = created["id"]
    patched = client.patch(f"{FEATURES}/{place_id}", json={"properties": {"name": "幸福<script>路"}},
                           headers={"If-Match": '"1"'})
    assert patched.status_code == 422
    assert patched.json()["message"].startswith("地名不符合命名规则：地名应使用国家通用语言文字")
    replaced = client.put(f"{FEATURES}/{place_id}", headers={"If-Match": '"1"'},
                          json=feature(point(*A_XY), name="路", class_code="07100"))
    assert replaced.status_code == 422 and replaced.json()["message"] == "地名不符合命名规则：“路”只有通名，缺少专名"
    # a duplicate street in the same built-up area, moved there by a geometry-only PATCH
    other = client.post(FEATURES, json=feature(point(*B_XY), name="和平路", class_code="07100")).json()
    client.post(FEATURES, json=feature(point(*A_XY), name="和平路", class_code="07100"))
    moved = client.patch(f"{FEATURES}/{other['id']}", json={"geometry": point(*A_XY)}, headers={"If-Match": '"1"'})
    assert moved.status_code == 422 and "重名" in moved.json()["message"]
    assert (_row(conn, place_id)["name"], _row(conn, place_id)["version"], _row(conn, other["id"])["version"]) == (
        "幸福路", 1, 1)


def test_leaders_and_foreign_names_are_refused_through_the_api(client, conn):
    make_area(conn)
    before = _count(conn)
    for name, class_code, message in (
            ("习近平大街", "07100", "含有“习近平”（中共中央总书记、国家主席）：不应以国家领导人的名字作地名"),
            ("纽约花园", "06200", "含有“纽约”：不应以外国人名、地名作地名"),
            ("保利花园", "06200", "含有“保利”（企业字号（房地产））：不应以企业名称或商标名称作地名")):
        response = client.post(FEATURES, json=feature(point(*A_XY), name=name, class_code=class_code))
        assert (response.status_code, response.json()["message"]) == (422, "地名不符合命名规则：" + message)
    assert _count(conn) == before
    warned = client.post(FEATURES, json=feature(point(*A_XY), name="张伟路", class_code="07100"))
    assert warned.status_code == 201  # a person's name is a warning: weighed at approval, not refused


def test_status_and_approval_change_only_through_the_lifecycle(client, conn):
    make_area(conn)
    place_id = client.post(FEATURES, json=feature(point(*A_XY), name="和平屯", class_code="06100")).json()["id"]
    for change in ({"status": "approved"}, {"approval_doc_no": "伪造〔2026〕1号"}, {"approved_here": True}):
        response = client.patch(f"{FEATURES}/{place_id}", json={"properties": change}, headers={"If-Match": '"1"'})
        assert response.status_code == 422, change
    assert _row(conn, place_id)["version"] == 1
    approved = client.post(f"/api/place-names/{place_id}/approve", json=APPROVAL, headers={"If-Match": '"1"'})
    assert approved.status_code == 200, approved.text
    # PUT (which sets every field) keeps the approval, the code and the status instead of resetting them
    kept = client.put(f"{FEATURES}/{place_id}", headers={"If-Match": '"2"'},
                      json=feature(point(*A_XY), name="和平屯", class_code="06100", meaning="取和平之意"))
    assert kept.status_code == 200, kept.text
    props = kept.json()["properties"]
    assert (props["status"], props["code"], props["approval_doc_no"], props["approved_here"], props["pinyin"],
            props["meaning"]) == ("approved", "21038100106100000001", "海政地〔2026〕7号", True, "Hepingtun",
                                  "取和平之意")
    # the name of an approved place changes only by renaming (with a reason)
    renamed = client.patch(f"{FEATURES}/{place_id}", json={"properties": {"name": "太平屯"}},
                           headers={"If-Match": '"3"'})
    assert renamed.status_code == 422
    assert renamed.json()["message"] == (
        "“和平屯”当前状态为已批准：更改名称或类别须走更名流程（/api/place-names/"
        f"{place_id}/rename，填写理由和批准文号；《地名管理条例》第十条）")
    no_reason = client.post(f"/api/place-names/{place_id}/rename", headers={"If-Match": '"3"'},
                            json={"new_name": "太平屯", "approval_doc_no": "海政地〔2026〕9号",
                                  "rename_date": "2026-05-01"})
    assert no_reason.status_code == 422
    assert no_reason.json()["message"] == "“和平屯”更名须填写理由（《地名管理条例》第十条：地名与实际不符等）"
    assert (_row(conn, place_id)["name"], _row(conn, place_id)["version"]) == ("和平屯", 3)


def test_approval_runs_every_naming_rule(client, conn):
    make_area(conn)
    # written straight into the table (as from QGIS), so no API check ran: the approval must catch it
    bad = add_place(conn, "<b>x</b>屯", "06100", A_XY, status="proposed")
    refused = client.post(f"/api/place-names/{bad}/approve", json=APPROVAL, headers={"If-Match": '"1"'})
    assert refused.status_code == 422
    assert refused.json()["message"] == ("“<b>x</b>屯”不符合命名规则："
                                         "地名应使用国家通用语言文字，不应含有“/<>bx”等字母、数字或符号")
    add_place(conn, "王家村", "04100", B_XY)
    twin = add_place(conn, "王家村", "04100", A_XY, status="proposed")
    duplicate = client.post(f"/api/place-names/{twin}/approve", json=APPROVAL, headers={"If-Match": '"1"'})
    assert duplicate.status_code == 422 and "重名" in duplicate.json()["message"]
    assert [(_row(conn, p)["status"], _row(conn, p)["code"]) for p in (bad, twin)] == [("proposed", None)] * 2


def test_a_spelling_set_by_hand_is_flagged_and_kept(client, conn):
    make_area(conn)
    created = client.post(FEATURES, json=feature(point(*A_XY), name="十里堡", class_code="06100",
                                                 pinyin="Shilibao")).json()
    assert (created["properties"]["pinyin"], created["properties"]["pinyin_manual"]) == ("Shilibao", True)
    suggested = client.post(FEATURES, json=feature(point(*B_XY), name="三里屯", class_code="06100")).json()
    assert (suggested["properties"]["pinyin"], suggested["properties"]["pinyin_manual"]) == ("Sanlitun", False)
    # a proposed name edited: the suggestion follows the name
    patched = client.patch(f"{FEATURES}/{suggested['id']}", json={"properties": {"name": "五里屯"}},
                           headers={"If-Match": '"1"'}).json()
    assert (patched["properties"]["pinyin"], patched["properties"]["specific_part"]) == ("Wulitun", "五里")
    refused = client.patch(f"{FEATURES}/{created['id']}", json={"properties": {"pinyin_manual": False}},
                           headers={"If-Match": '"1"'})
    assert refused.status_code == 422 and "由系统生成" in refused.json()["message"]


def test_restoring_an_old_version_cannot_skip_the_lifecycle(client, conn):
    make_area(conn)
    place_id = client.post(FEATURES, json=feature(point(*A_XY), name="和平屯", class_code="06100")).json()["id"]
    # a proposed name's earlier wording may come back (v2 → v1), checked by the naming rules
    client.patch(f"{FEATURES}/{place_id}", json={"properties": {"name": "太平屯"}}, headers={"If-Match": '"1"'})
    back = client.post(f"{FEATURES}/{place_id}/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert back.status_code == 200 and back.json()["properties"]["name"] == "和平屯"
    client.post(f"/api/place-names/{place_id}/approve", json=APPROVAL, headers={"If-Match": '"3"'})
    abolished = client.post(f"/api/place-names/{place_id}/abolish", json={"abolished_date": "2026-06-01"},
                            headers={"If-Match": '"4"'})
    assert abolished.json()["properties"]["status"] == "historical"
    revived = client.post(f"{FEATURES}/{place_id}/restore", json={"version": 4}, headers={"If-Match": '"5"'})
    assert revived.status_code == 422
    assert revived.json()["message"] == (
        "恢复第 4 版会改变地名的状态：地名的状态、批准信息和已批准的名称只能通过审批流程"
        "（批准（approve）、备案（file）、公告（announce）、更名（rename）、废止（abolish））修改")
    unapproved = client.post(f"{FEATURES}/{place_id}/restore", json={"version": 1}, headers={"If-Match": '"5"'})
    assert unapproved.status_code == 422 and "状态、地名代码、批准机关、批准文号、批准日期、在本系统批准" in \
        unapproved.json()["message"]
    assert (_row(conn, place_id)["status"], _row(conn, place_id)["version"]) == ("historical", 5)
