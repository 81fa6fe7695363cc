"""The gazetteer API: validate, search, lifecycle with If-Match, roles, signs, publication."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import quote

from openpyxl import load_workbook

from layers.gazetteer.lifecycle import beijing_today
from tests.utils.features import create, point
from tests.utils.gazetteer import A_XY, B_XY, add_place, make_area


def place(client, name, class_code, xy, **extra):
    return create(client, "place_names", point(*xy), name=name, class_code=class_code, **extra)


def test_validate_homophone_and_built_up_duplicate(client, conn):
    make_area(conn)
    wang = place(client, "王家村", "04100", A_XY)
    assert wang["properties"]["pinyin"] == "Wangjia Cun"              # suggested on creation
    assert wang["properties"]["township_code"] == "210381001"          # derived from the geometry
    response = client.post("/api/place-names/validate",
                           json={"name": "汪家村", "class_code": "04100", "geometry": point(*B_XY)})
    assert response.status_code == 200
    assert response.json() == {
        "ok": True, "pinyin_suggestion": "Wangjia Cun", "pinyin_suggestion_toned": "Wāngjiā Cūn",
        "specific_part": "汪家", "generic_part": "村",
        "problems": [{"rule": "homophone", "severity": "warning", "conflicts": [wang["id"]],
                      # the conflict names its township and number (issue 16: not the number alone)
                      "message": "与全市（县级行政区域）内已有地名同音："
                                 f"王家村（Wangjia Cun；海州街道，编号 {wang['id']}），应避免同音",
                      "records": [{"id": wang["id"], "name": "王家村", "township": "海州街道"}],
                      "basis": "《地名管理条例》（2022）第九条：村（居）民委员会所在地名称在一个县级行政区域内不重名、"
                               "避免同音"}]}
    street = place(client, "幸福路", "07100", A_XY)
    elsewhere = client.post("/api/place-names/validate",
                            json={"name": "幸福路", "class_code": "07100", "geometry": point(*B_XY)}).json()
    assert (elsewhere["ok"], elsewhere["problems"]) == (True, [])
    here = client.post("/api/place-names/validate",
                       json={"name": "幸福路", "class_code": "07100", "geometry": point(*A_XY)}).json()
    assert here["ok"] is False
    assert [(p["rule"], p["conflicts"]) for p in here["problems"]] == [("duplicate", [street["id"]])]


def test_validate_text_rules_and_renaming(client, conn):
    make_area(conn)
    protected = place(client, "牛庄镇", "03100", B_XY, culture_protected=True)
    body = client.post("/api/place-names/validate",
                       json={"name": "路", "class_code": "07100"}).json()
    assert [(p["rule"], p["severity"]) for p in body["problems"]] == [("generic_only", "error")]
    body = client.post("/api/place-names/validate", json={"name": "新庄镇", "class_code": "03100",
                                                          "id": protected["id"]}).json()
    assert [(p["rule"], p["severity"]) for p in body["problems"]] == [("protected_rename", "warning"),
                                                                   ("province_scope", "warning")]
    bad = client.post("/api/place-names/validate", json={"name": "x", "class_code": "03100",
                                                         "geometry": point(40.86, 122.72)})
    assert bad.status_code == 422 and "经纬度顺序颠倒" in bad.json()["message"]


def test_lifecycle_over_http_with_roles(client, client_as, conn):
    make_area(conn)
    created = place(client, "和平屯", "06100", A_XY, status="proposed")
    pid = created["id"]
    viewer, editor = client_as("viewer"), client_as("place_names_editor")
    approval = {"approval_authority": "海城市人民政府", "approval_doc_no": "海政地〔2025〕3号",
                "approval_date": "2025-04-01"}
    assert viewer.post(f"/api/place-names/{pid}/approve", json=approval,
                       headers={"If-Match": '"1"'}).status_code == 403
    assert editor.post(f"/api/place-names/{pid}/approve", json=approval).status_code == 428
    empty = editor.post(f"/api/place-names/{pid}/approve", json={**approval, "approval_doc_no": " ",
                                                                   "approval_date": "四月一日"},
                        headers={"If-Match": '"1"'})
    assert empty.status_code == 422  # field titles in words, not body.approval_doc_no
    assert empty.json()["message"] == ("批准文号（approval_doc_no）不能为空；"
                                      "批准日期（approval_date）应为日期（YYYY-MM-DD）")
    bad_limit = editor.get("/api/layers/place_names/features", params={"limit": 0})
    assert bad_limit.json()["message"] == "每页条数（limit）应不小于 1"
    assert editor.post(f"/api/place-names/{pid}/approve", json=approval,
                       headers={"If-Match": '"7"'}).status_code == 412
    approved = editor.post(f"/api/place-names/{pid}/approve", json=approval, headers={"If-Match": '"1"'})
    assert approved.status_code == 200, approved.text
    assert approved.headers["ETag"] == '"2"'
    assert approved.json()["properties"]["code"] == "21038100106100000001"
    announced = editor.post(f"/api/place-names/{pid}/announce", json={"announced_date": "2025-04-10"},
                            headers={"If-Match": '"2"'})
    assert announced.json()["properties"]["status"] == "announced"
    renamed = editor.post(f"/api/place-names/{pid}/rename", headers={"If-Match": '"3"'},
                          json={"new_name": "太平屯", "approval_doc_no": "海政地〔2025〕8号",
                                "rename_date": "2025-09-01", "justification": "村屯合并，原名与实际不符"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["properties"]["name"], renamed.json()["properties"]["pinyin"]) == ("太平屯", "Taipingtun")
    names = viewer.get(f"/api/place-names/{pid}/names").json()
    assert [(v["name"], v["kind_title"]) for v in names["variants"]] == [("和平屯", "历史名称")]
    found = viewer.get("/api/place-names/search", params={"q": "和平屯"}).json()
    assert [(i["id"], i["name"], i["note"]) for i in found["items"]] == [
        (pid, "太平屯", "“和平屯”是曾用名，现名“太平屯”")]
    assert viewer.get("/api/place-names/search", params={"q": "tpt"}).json()["items"][0]["id"] == pid
    alias = editor.post(f"/api/place-names/{pid}/variants", json={"name": "太平", "kind": "abbreviation"})
    assert alias.status_code == 201
    assert viewer.post(f"/api/place-names/{pid}/variants", json={"name": "x", "kind": "alias"}).status_code == 403
    abolished = editor.post(f"/api/place-names/{pid}/abolish", json={"abolished_date": "2026-01-01"},
                            headers={"If-Match": '"4"'})
    assert abolished.json()["properties"]["status"] == "historical"
    history = viewer.get(f"/api/layers/place_names/features/{pid}/history").json()["versions"]
    assert [v["version"] for v in history] == [1, 2, 3, 4, 5]


def test_search_validation_and_paging(client, conn):
    make_area(conn)
    for name in ("王家屯", "王家沟", "王家岭"):
        place(client, name, "06100", A_XY)
    page = client.get("/api/place-names/search", params={"q": "王家", "limit": 2}).json()
    assert (page["total"], [i["name"] for i in page["items"]]) == (3, ["王家沟", "王家岭"])
    assert page["items"][0]["class_title"] == "居民点·自然村"
    assert client.get("/api/place-names/search", params={"q": "wjt"}).json()["items"][0]["name"] == "王家屯"
    assert client.get("/api/place-names/search", params={"q": "王家", "status": "nope"}).status_code == 422


def test_sign_report_directory_and_announcement_exports(client, conn):
    make_area(conn)
    pid = add_place(conn, "和平屯", "06100", A_XY, approval_date="2025-04-01", approval_authority="海城市人民政府",
                    approval_doc_no="海政地〔2025〕3号")  # on record before this system (written as imports do)
    create(client, "place_name_signs", point(*A_XY), place_name_id=pid, sign_type="village", inscription="和平村",
           inscription_pinyin="Hepingcun")
    report = client.get("/api/place-names/signs/mismatches").json()
    assert [(r["inscription"], r["should_read"]) for r in report["items"]] == [("和平村", "和平屯")]
    listing = client.get("/api/place-names/directory").json()
    assert [i["name"] for i in listing["items"]] == ["和平屯"]
    csv_body = client.get("/api/place-names/directory", params={"format": "csv"})
    assert csv_body.content.decode("utf-8-sig").splitlines()[0].startswith("地名代码,标准名称,罗马字母拼写,类别")
    disposition = csv_body.headers["content-disposition"]  # saved under a Chinese name, ASCII for old clients
    assert disposition == ("attachment; filename=\"place_name_directory.csv\"; "
                           f"filename*=UTF-8''{quote('海城市地名录.csv')}")
    xlsx = client.get("/api/place-names/announcement", params={"start": "2025-01-01", "end": "2025-12-31",
                                                               "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("标准名称", "罗马字母拼写", "类别")
    assert rows[1][:2] == ("和平屯", "Hepingtun")
    body = client.get("/api/place-names/announcement", params={"start": "2025-01-01", "end": "2025-12-31"}).json()
    assert body["text"].startswith("根据《地名管理条例》第十四条")


def test_filing_and_announcement_deadlines_15_days_after_approval(client, conn):
    make_area(conn)
    today = beijing_today()  # as the server counts

    def approved(name, days_ago, xy):
        pid = place(client, name, "06100", xy, status="proposed")["id"]
        response = client.post(f"/api/place-names/{pid}/approve", headers={"If-Match": '"1"'}, json={
            "approval_authority": "海城市人民政府", "approval_doc_no": f"海政地〔2026〕{days_ago}号",
            "approval_date": (today - timedelta(days=days_ago)).isoformat()})
        assert response.status_code == 200, response.text
        return pid

    late = approved("和平屯", 20, A_XY)
    soon = approved("幸福屯", 12, B_XY)
    approved("新立屯", 1, (A_XY[0] + 0.005, A_XY[1]))  # 14 days left: not yet worth a reminder
    add_place(conn, "旧录屯", "06100", (A_XY[0] + 0.006, A_XY[1]),  # on record before this system
              approval_date=today - timedelta(days=400), approval_doc_no="海政地〔2025〕1号")
    due = client.get("/api/place-names/deadlines").json()
    assert [(i["id"], i["steps"], i["overdue"], i["days_left"]) for i in due["items"]] == [
        (late, ["备案", "公告"], True, -5), (soon, ["备案", "公告"], False, 3)]
    assert due["overdue"] == 1 and due["items"][0]["message"] == "备案、公告已逾期 5 天"
    early = client.post(f"/api/place-names/{late}/file", headers={"If-Match": '"2"'},
                        json={"filed_date": (today - timedelta(days=30)).isoformat(), "filed_to": "鞍山市民政局"})
    assert early.status_code == 422 and early.json()["message"] == "备案日期早于批准日期"
    filed = client.post(f"/api/place-names/{late}/file", headers={"If-Match": '"2"'},
                        json={"filed_date": today.isoformat(), "filed_to": "鞍山市人民政府"})
    assert filed.status_code == 200, filed.text
    assert filed.json()["properties"]["filed_to"] == "鞍山市人民政府"
    assert client.get("/api/place-names/deadlines").json()["items"][0]["steps"] == ["公告"]
    client.post(f"/api/place-names/{late}/announce", headers={"If-Match": '"3"'},
                json={"announced_date": today.isoformat()})
    assert [i["id"] for i in client.get("/api/place-names/deadlines").json()["items"]] == [soon]
