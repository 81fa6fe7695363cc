"""The siting API: check, permissions, candidates and their workflow, re-check, rule sets, suitable land, graves."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from tests.utils.siting import at, geojson, rect, road, seg, to_metric, truth, village
from tests.utils.siting import pt as point_at

T = "210381190"


@pytest.fixture
def scene(conn):
    village(conn, T + "201", rect(-3000, -3000, 3000, 3000), name="甲村")
    # a national road (500 m, a hard rule; 14 m wide by default): 600 m north of the centre
    return {"national_road": road(conn, seg((-3000, 600), (3000, 600)), "national")}


def test_check_returns_the_report(client, scene):
    body = {"geometry": geojson(rect(-50, -50, 50, 50))}
    response = client.post("/api/siting/check", json=body)
    assert response.status_code == 200, response.text
    report = response.json()
    assert set(report) >= {"compliant", "rule_set", "area_m2", "township", "village", "results"}
    assert report["village"] == {"code": T + "201", "name": "甲村"}
    assert report["rule_set"]["version"] == 1
    national = [r for r in report["results"] if r["rule"] == "highway.national"][0]
    assert set(national) >= {"constraint", "label", "required_distance_m", "distance_m", "nearest", "violated",
                             "overlap_area_m2", "centreline_distance_m", "width_m", "width_source"}
    from shapely.geometry import shape
    fid, line = scene["national_road"]
    centreline = truth(shape(body["geometry"]), line)
    assert national["centreline_distance_m"] == round(centreline, 1) == pytest.approx(550, abs=0.5)
    assert national["distance_m"] == round(centreline - 7, 1) == pytest.approx(543, abs=0.5)  # from its edge
    assert national["violated"] is False and report["compliant"] is True  # 543 m ≥ 500 m
    feature = client.get(f"/api/layers/{national['nearest']['layer']}/features/{national['nearest']['id']}")
    assert feature.status_code == 200


@pytest.mark.parametrize("geometry", [
    {"type": "LineString", "coordinates": [[122.7, 40.8], [122.71, 40.81]]},
    {"type": "Point", "coordinates": [40.85, 122.75]},  # swapped
    {"type": "Point", "coordinates": [116.4, 39.9]},  # Beijing
    None,
])
def test_invalid_site_is_422(client, geometry):
    response = client.post("/api/siting/check", json={"geometry": geometry})
    assert response.status_code == 422
    assert response.json()["message"]


def test_viewer_may_check_but_not_save(client_as, scene):
    viewer = client_as("viewer")
    body = {"geometry": geojson(point_at(0, 0)), "name": "候选地"}
    assert viewer.post("/api/siting/check", json=body).status_code == 200
    assert viewer.post("/api/siting/candidates", json=body).status_code == 403
    rule_set = viewer.get("/api/siting/rule-sets").json()[0]
    assert viewer.post(f"/api/siting/rule-sets/{rule_set['id']}/versions",
                       json={"based_on": 1, "rules": []}).status_code == 403


def test_candidate_workflow_and_recheck(client_as, scene):
    planner = client_as("funeral_planner")
    site = {"geometry": geojson(rect(-50, -2050, 50, -1950)), "name": "甲村公墓候选地"}
    saved = planner.post("/api/siting/candidates", json=site)
    assert saved.status_code == 201, saved.text
    candidate = saved.json()
    assert candidate["status"] == "candidate" and candidate["compliant"] is True
    assert candidate["report"]["rule_set"]["version"] == 1 and candidate["village_code"] == T + "201"
    url = f"/api/siting/candidates/{candidate['id']}"
    assert planner.post(f"{url}/status", json={"status": "township_review"}).status_code == 428
    assert planner.post(f"{url}/status", json={"status": "in_use"},
                        headers={"If-Match": '"1"'}).status_code == 409
    # two accounts take turns (four eyes): the planner submits, the administrator reviews, and so on
    admin = client_as("admin")
    for step, status in enumerate(["township_review", "county_approval", "under_construction", "in_use"], 1):
        response = (planner if step % 2 else admin).post(f"{url}/status", json={"status": status,
                                                                                "note": f"第{step}步"},
                                                         headers={"If-Match": f'"{step}"'})
        assert response.status_code == 200, response.text
    stale = planner.post(f"{url}/status", json={"status": "rejected"}, headers={"If-Match": '"1"'})
    assert stale.status_code in (409, 412)
    got = planner.get(url)
    assert got.headers["ETag"] == '"5"'
    assert [e["to_status"] for e in got.json()["events"]] == [
        "candidate", "township_review", "county_approval", "under_construction", "in_use"]
    assert [e["by"] for e in got.json()["events"]] == ["funeral_planner", "funeral_planner", "admin",
                                                        "funeral_planner", "admin"]
    listed = [c for c in planner.get("/api/siting/candidates").json() if c["id"] == candidate["id"]][0]
    assert {s: v["by"] for s, v in listed["steps"].items()} == {
        "candidate": "funeral_planner", "township_review": "funeral_planner", "county_approval": "admin",
        "under_construction": "funeral_planner", "in_use": "admin"}
    assert listed["steps"]["county_approval"]["by_title"] == "系统管理员账号"  # what the page shows (issue 16)
    # a newer rule set version: national roads 3,000 m → the saved site (2,543 m away) now fails that rule
    rule_set = candidate["rule_set_id"]
    edited = planner.post(f"/api/siting/rule-sets/{rule_set}/versions", json={
        "based_on": 1, "note": "测试", "rules": [{"constraint": "highway", "class": "national", "distance_m": 3000}]})
    assert edited.status_code == 201, edited.text
    recheck = planner.get(f"{url}/recheck").json()
    assert recheck["saved"]["rule_set"]["version"] == 1 and recheck["current"]["rule_set"]["version"] == 2
    assert recheck["compliant_changed"] is True
    change = [c for c in recheck["changes"] if c["rule"] == "highway.national"][0]
    assert set(change["changed"]) == {"required_distance_m", "violated"}
    assert planner.get(url).json()["report"]["rule_set"]["version"] == 1  # the frozen report is unchanged


def test_one_account_cannot_make_two_consecutive_approval_steps(client_as, conn, scene):
    """Issue 16: one planner pushed a candidate through 乡镇审核 → 县民政局审批 → 建成使用 alone."""
    planner, admin = client_as("funeral_planner"), client_as("admin")
    saved = planner.post("/api/siting/candidates", json={"geometry": geojson(rect(-50, -2050, 50, -1950)),
                                                          "name": "四眼候选地"}).json()
    url = f"/api/siting/candidates/{saved['id']}/status"
    assert planner.post(url, json={"status": "township_review"}, headers={"If-Match": '"1"'}).status_code == 200
    refused = planner.post(url, json={"status": "county_approval"}, headers={"If-Match": '"2"'})
    assert refused.status_code == 409
    assert refused.json()["message"] == ("同一账号不能连续办理两个审批环节：上一环节“乡镇审核”由 殡葬规划账号 办理，"
                                         "“县民政局审批”须由另一名审批人办理")
    after = planner.get(f"/api/siting/candidates/{saved['id']}").json()
    assert after["status"] == "township_review" and after["version"] == 2 and len(after["events"]) == 2
    assert admin.post(url, json={"status": "county_approval"}, headers={"If-Match": '"2"'}).status_code == 200
    again = admin.post(url, json={"status": "under_construction"}, headers={"If-Match": '"3"'})
    assert again.status_code == 409 and "县民政局审批" in again.json()["message"]
    # a rejection is not an approval: the same account may turn it down
    assert admin.post(url, json={"status": "rejected"}, headers={"If-Match": '"3"'}).status_code == 200


def test_a_planner_withdraws_a_draft_but_not_a_submitted_site(client_as, scene):
    planner = client_as("funeral_planner")
    body = {"geometry": geojson(rect(-50, -2050, 50, -1950)), "name": "撤回候选地"}
    draft, submitted = (planner.post("/api/siting/candidates", json=body).json() for _ in range(2))
    done = planner.post(f"/api/siting/candidates/{draft['id']}/status", json={"status": "withdrawn"},
                        headers={"If-Match": '"1"'})
    assert done.status_code == 200 and done.json()["status_title"] == "已撤回"
    assert done.json()["next_statuses"] == []
    url = f"/api/siting/candidates/{submitted['id']}/status"
    assert planner.post(url, json={"status": "township_review"}, headers={"If-Match": '"1"'}).status_code == 200
    late = planner.post(url, json={"status": "withdrawn"}, headers={"If-Match": '"2"'})
    assert late.status_code == 409
    assert late.json()["message"] == "候选地当前为“乡镇审核”，不能转为“已撤回”（可转为：县民政局审批、未通过）"


def test_non_compliant_candidate_cannot_go_to_review(client, scene):
    saved = client.post("/api/siting/candidates", json={"geometry": geojson(point_at(0, 150)), "name": "近路"}).json()
    assert [r["distance_m"] for r in saved["report"]["results"] if r["rule"] == "highway.national"] == [443.0]
    assert saved["compliant"] is False
    response = client.post(f"/api/siting/candidates/{saved['id']}/status", json={"status": "township_review"},
                           headers={"If-Match": '"1"'})
    assert response.status_code == 409


def test_rule_below_legal_floor_is_422(client):
    rule_set = client.get("/api/siting/rule-sets").json()[0]
    response = client.post(f"/api/siting/rule-sets/{rule_set['id']}/versions", json={
        "based_on": rule_set["latest_version"], "rules": [{"constraint": "highway", "class": "expressway",
                                                            "distance_m": 20}]})
    assert response.status_code == 422 and "法定下限" in response.json()["message"]
    floor = client.get("/api/siting/legal-floors").json()["highway.expressway"]
    assert floor["distance_m"] == 30 and "自公路用地外缘起算" in floor["basis"]
    widths = client.get("/api/siting/corridor-widths").json()["widths"]
    assert {k: w["width_m"] for k, w in widths.items()} == {
        "highway.expressway": 28.0, "highway.national": 14.0, "highway.provincial": 14.0, "highway.county": 10.5,
        "highway.township": 8.5, "railway.high_speed": 13.6, "railway.conventional": 12.0}
    assert "[standard] JTG B01-2014" in widths["highway.county"]["basis"]
    assert "[law] 《公路法》第三十四条" in widths["highway.county"]["basis"]
    assert "[local] 地方默认值" in widths["railway.conventional"]["basis"]


def test_suitable_land_endpoint(client, scene):
    response = client.get("/api/siting/suitable", params={"village": T + "201"})
    assert response.status_code == 200, response.text
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 2
    assert client.get("/api/siting/suitable").status_code == 422
    assert client.get("/api/siting/suitable", params={"village": "210381999999"}).status_code == 404
    assert client.post("/api/siting/suitable/county").status_code == 202
    assert len(client.get("/api/siting/suitable/county").json()["features"]) == 2


def test_graves_remediation_xlsx_and_status(client, conn, scene):
    from tests.utils.siting import insert

    grave, _ = insert(conn, "scattered_graves", point_at(0, 250), grave_count=1)  # 343 m from the road's edge
    listed = client.get("/api/siting/graves", params={"village": T + "201"}).json()
    assert listed["summary"]["violating_hard"] == 1
    xlsx = client.get("/api/siting/graves/remediation", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("类型", "村代码") and rows[1][:4] == ("散埋乱葬", T + "201", "甲村", grave)
    url = f"/api/siting/graves/{grave}/status"
    assert client.post(url, json={"status": "retained"}, headers={"If-Match": '"1"'}).status_code == 422
    done = client.post(url, json={"status": "retained", "reason": "革命烈士墓，原地保护"}, headers={"If-Match": '"1"'})
    assert done.status_code == 200 and done.json()["version"] == 2
    assert client.get("/api/siting/graves/remediation").json()["rows"] == []


def test_coverage_endpoint_and_parameters(client, client_as, scene):
    assert client.get("/api/siting/coverage").json()["uncovered"][0]["code"] == T + "201"
    assert client.put("/api/siting/coverage/parameters/county", json={"public_share": 0.8}).status_code == 200
    assert client.get("/api/siting/coverage/parameters").json()["stored"]["county"] == {"public_share": 0.8}
    assert client_as("viewer").put("/api/siting/coverage/parameters/county",
                                   json={"public_share": 0.5}).status_code == 403


def test_a_cemetery_serves_another_village_only_with_a_recorded_agreement(client, conn, scene):
    from tests.utils.features import feature

    village(conn, T + "202", rect(4000, -1000, 5000, 1000), name="乙村")
    body = {"name": "甲村公墓", "cemetery_type": "village_public", "status": "existing", "village_code": T + "201"}
    site = geojson(rect(-50, -2050, 50, -1950))
    missing = client.post("/api/layers/cemeteries/features", json=feature(site, **body, serves_villages=[T + "202"]))
    assert missing.status_code == 422 and "服务协议文号" in missing.json()["message"]
    unknown = client.post("/api/layers/cemeteries/features", json=feature(
        site, **body, serves_villages=[T + "299"], service_agreement="海民殡协〔2025〕7号"))
    assert unknown.status_code == 422 and "不是现有的村委会：210381190299" in unknown.json()["message"]
    uncovered = client.get("/api/siting/coverage").json()["uncovered"]
    assert [{k: u[k] for k in ("code", "name", "township_code")} for u in uncovered] == [
        {"code": T + "201", "name": "甲村", "township_code": T},
        {"code": T + "202", "name": "乙村", "township_code": T}]
    # where the map marks each one: a point inside the village, the middle of these rectangles within 1 m
    # (the middle of their lon/lat outline)
    for u, (x, y) in zip(uncovered, [(0, 0), (4500, 0)], strict=True):
        assert to_metric(Point(u["lon"], u["lat"])).distance(Point(at(x, y))) < 1
    created = client.post("/api/layers/cemeteries/features", json=feature(
        site, **body, serves_villages=[T + "202"], service_agreement="海民殡协〔2025〕7号"))
    assert created.status_code == 201, created.text
    covered = {v["code"]: v for v in client.get("/api/siting/coverage").json()["villages"]}
    assert covered[T + "202"]["served_by"] == "agreement" and covered[T + "201"]["served_by"] == "own"
    # the agreement cannot be dropped while the cemetery still names villages it serves
    cleared = client.patch(f"/api/layers/cemeteries/features/{created.json()['id']}",
                           json={"properties": {"service_agreement": None}}, headers={"If-Match": '"1"'})
    assert cleared.status_code == 422 and "服务协议文号" in cleared.json()["message"]


def test_grave_kinds_are_checked_and_the_export_groups_by_kind(client, conn, scene):
    from tests.utils.features import feature
    from tests.utils.siting import insert

    unknown = client.post("/api/layers/scattered_graves/features",
                          json=feature(geojson(point_at(0, 250)), grave_count=1, kind="big"))
    assert unknown.status_code == 422 and "类型" in unknown.json()["message"]
    living, _ = insert(conn, "scattered_graves", point_at(0, 250), grave_count=1, kind="living_person")
    scattered, _ = insert(conn, "scattered_graves", point_at(0, 260), grave_count=2)  # the default kind
    listed = client.get("/api/siting/graves/remediation").json()
    assert [(g["kind"], g["sites"], g["graves"]) for g in listed["groups"]] == [
        ("scattered", 1, 2), ("hardened", 0, 0), ("living_person", 1, 1)]
    xlsx = client.get("/api/siting/graves/remediation", params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert [(r[0], r[3]) for r in rows[1:]] == [("散埋乱葬", scattered), ("活人墓", living)]


def test_a_road_width_outside_its_range_is_422_and_changes_nothing(client):
    from tests.utils.features import feature, line

    body = feature(line((122.70, 40.80), (122.71, 40.80)), name="测试路", road_class="county", width_m=500)
    refused = client.post("/api/layers/roads/features", json=body)
    assert refused.status_code == 422
    assert "用地宽度 width_m 应大于 0 且不超过 200 米" in refused.json()["message"]
    assert client.get("/api/layers/roads/features").json()["numberMatched"] == 0
