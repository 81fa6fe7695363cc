"""The coverage API: counts for everyone, household lists for the case office (masked, audited)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from layers.coverage.refresh import refresh
from layers.roles import ALL_ROLES
from tests.utils.coverage import VILLAGE, VILLAGE2, add_care, add_household, lonlat, make_units, river_case

Q = "facility_type=day_care&category=elderly_alone"
Q0 = "facility_type=day_care"  # what roles that may not read households may ask: all categories


def scene(conn) -> dict[str, int]:
    make_units(conn)
    add_care(conn, 0, 0)
    ids = {"in": add_household(conn, 999, 0), "out": add_household(conn, 1001, 0, name="李四")}
    ids["child"] = add_household(conn, 1500, 0, name="王五", child=True)
    for i in range(5):  # a second village with 5 uncovered households: not suppressed
        add_household(conn, 3000 + i, 0, name="赵六", village=VILLAGE2)
    return ids


def audits(conn, action: str) -> int:
    return conn.execute(text("SELECT count(*) FROM audit_log WHERE action = :a AND layer = 'households'"),
                        {"a": action}).scalar_one()


def test_coverage_rows_for_every_role_small_cells_suppressed(conn, client, client_as):
    scene(conn)
    body = client_as("case_worker").get(f"/api/coverage?{Q}&by=village").json()
    rows = {r["code"]: r for r in body["rows"]}
    assert {k: rows[VILLAGE][k] for k in ("households", "covered", "rate")} == {"households": 3, "covered": 1,
                                                                              "rate": 0.3333}
    refused = client_as("viewer").get(f"/api/coverage?{Q}")
    assert refused.status_code == 403 and "救助类别" in refused.json()["message"]
    viewer = {r["code"]: r for r in client_as("viewer").get(f"/api/coverage?{Q0}").json()["rows"]}
    assert viewer[VILLAGE]["households"] is None and viewer[VILLAGE]["suppressed"]  # 2: the child's is not counted
    assert viewer[VILLAGE2]["uncovered"] == 5 and viewer[VILLAGE2]["rate"] == 0.0
    # a township is the sum of its published villages: the suppressed one adds nothing
    township = client_as("viewer").get(f"/api/coverage?{Q0}&by=township").json()
    assert {k: township["rows"][0][k] for k in ("households", "covered", "uncovered", "villages_suppressed")} == {
        "households": 5, "covered": 0, "uncovered": 5, "villages_suppressed": 1}
    assert township["total"]["households"] == 5
    summary = client_as("viewer").get("/api/layers/households/summary?by=township").json()
    assert [{k: r[k] for k in ("households", "villages", "villages_suppressed")} for r in summary["rows"]] == [
        {"households": 5, "villages": 2, "villages_suppressed": 1}]
    exact = client_as("case_worker").get("/api/layers/households/summary?by=township").json()["rows"]
    assert exact[0]["households"] == 8  # the case office counts every household, the child's too
    # an admin alone reads no household (issue 14): refused a category like any other restricted role
    refused = client_as("admin").get(f"/api/coverage?{Q}&by=township")
    assert refused.status_code == 403 and "救助类别" in refused.json()["message"]
    # an admin with the case office counts every household, the child's too
    township = client.get(f"/api/coverage?{Q}&by=township").json()
    assert township["total"]["households"] == 8
    assert client.get("/api/coverage?facility_type=hospital").status_code == 422
    assert client.get(f"/api/coverage?{Q}&method=crow").status_code == 422


def test_uncovered_list_masked_audited_and_only_for_the_case_office(conn, client_as):
    ids = scene(conn)
    worker = client_as("case_worker")
    before = audits(conn, "read_personal")
    response = worker.get(f"/api/coverage/uncovered?{Q}")
    assert response.status_code == 200
    features = response.json()["features"]
    found = {f["id"] for f in features}
    assert ids["out"] in found and ids["child"] in found and ids["in"] not in found
    names = {f["properties"]["head_name"] for f in features}
    assert names == {"李*", "王*", "赵*"}
    assert all(f["properties"]["phone"] == "138****5678" for f in features)
    assert "id_number_cipher" not in features[0]["properties"]
    assert audits(conn, "read_personal") == before + 1
    for path in ("/api/coverage/uncovered", "/api/coverage/uncovered/export"):  # no unmasking in bulk
        refused = worker.get(f"{path}?{Q}&reveal=true&village={VILLAGE}")
        assert refused.status_code == 422 and "逐户" in refused.json()["message"]
    assert audits(conn, "reveal") == 0 and audits(conn, "read_personal") == before + 1
    for role in ("viewer", "funeral_planner", "place_names_editor"):
        assert client_as(role).get(f"/api/coverage/uncovered?{Q}").status_code == 403


def test_the_uncovered_list_is_for_the_case_office_only_not_an_admin(conn, client_as, client):
    ids = scene(conn)
    assert client_as("admin").get(f"/api/coverage/uncovered?{Q}").status_code == 403  # issue 14
    found = {f["id"] for f in client.get(f"/api/coverage/uncovered?{Q}").json()["features"]}  # admin + case office
    assert ids["out"] in found and ids["child"] in found


def test_exports_xlsx(conn, client_as):
    scene(conn)
    worker = client_as("case_worker")
    response = worker.get(f"/api/coverage/export?{Q}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按乡镇", "按村", "说明"]
    assert [c.value for c in book["按村"][1]][:6] == ["区划代码", "名称", "困难群众户数", "已覆盖", "未覆盖", "覆盖率"]
    before = audits(conn, "export")
    listing = worker.get(f"/api/coverage/uncovered/export?{Q}")
    sheet = load_workbook(io.BytesIO(listing.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]  # labels, field names, rows
    assert sorted(names) == sorted(["李*", "王*"] + ["赵*"] * 5)
    assert audits(conn, "export") == before + 1
    assert client_as("viewer").get(f"/api/coverage/uncovered/export?{Q}").status_code == 403


def test_choropleth_and_service_areas(conn, client_as):
    scene(conn)
    refresh(conn, force=True)
    viewer = client_as("viewer")
    body = viewer.get(f"/api/coverage/choropleth?{Q0}").json()
    props = {f["id"]: f["properties"] for f in body["features"]}
    assert props[VILLAGE2]["uncovered"] == 5 and props[VILLAGE]["uncovered"] is None
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    areas = viewer.get("/api/coverage/service-areas?facility_type=day_care").json()
    assert len(areas["features"]) == 1 and areas["features"][0]["properties"]["radius_m"] == 1000.0


def test_network_method_over_http(conn, client_as):
    ids = river_case(conn)
    refresh(conn, force=True)
    worker = client_as("case_worker")
    body = worker.get("/api/coverage?facility_type=day_care&method=network&by=township").json()
    assert body["total"]["covered"] == 1 and body["network_status"]["stale"] is False
    listed = {f["id"] for f in worker.get("/api/coverage/uncovered?facility_type=day_care&method=network")
              .json()["features"]}
    assert listed == {ids["across"]}


@pytest.mark.parametrize("role", sorted(ALL_ROLES - {"admin"}))
def test_only_admins_recompute_the_service_areas(conn, client, client_as, role):
    river_case(conn)  # roads and a facility, never computed: the stored service areas are stale

    def runs() -> int:
        return conn.execute(text("SELECT count(*) FROM coverage_refreshes")).scalar_one()

    api = client_as(role)
    refused = api.post("/api/coverage/refresh?force=true")
    assert refused.status_code == 403 and "系统管理员" in refused.json()["message"]
    network = "/api/coverage?facility_type=day_care&method=network"
    expected = 200 if role == "case_worker" else 403  # the network method: roles that may read households
    assert api.get(network).status_code == expected
    suggested = api.post("/api/coverage/suggest", json={"facility_type": "day_care", "k": 1, "method": "network"})
    assert suggested.status_code == expected, suggested.text
    assert runs() == 0 and api.get("/api/coverage/status").json()["stale"] is True
    assert client.get(network).status_code == 200 and runs() == 1  # an admin's request brings them up to date


def test_refresh_parameters_and_officers_permissions(conn, client, client_as):
    assert client_as("viewer").post("/api/coverage/refresh").status_code == 403
    assert client.post("/api/coverage/refresh?force=true").status_code == 202
    assert client.get("/api/coverage/status").json()["stale"] is False
    assert client_as("viewer").put("/api/coverage/parameters", json={"walking": {"speed_kmh": 5}}).status_code == 403
    params = client.put("/api/coverage/parameters", json={"walking": {"speed_kmh": 5}}).json()
    assert params["walking"]["speed_kmh"] == 5 and params["driving"]["speed_kmh"] == 30.0
    assert "coverage_parameters" in client.get("/api/coverage/status").json()["dirty"]
    assert client.put("/api/coverage/parameters", json={"walking": {"speed_kmh": -1}}).status_code == 422
    make_units(conn)
    officer = {"role": "director", "unit_code": VILLAGE, "name": "赵敏", "phone": "13912345678"}
    assert client_as("viewer").post("/api/coverage/child-welfare/officers", json=officer).status_code == 403
    created = client_as("case_worker").post("/api/coverage/child-welfare/officers", json=officer)
    assert created.status_code == 201
    listed = client_as("viewer").get("/api/coverage/child-welfare/officers").json()["rows"]
    assert listed[0]["name"] == "赵*"
    assert client_as("viewer").get("/api/coverage/child-welfare/officers?reveal=true").status_code == 403
    gaps = client_as("viewer").get("/api/coverage/child-welfare/gaps").json()
    assert gaps["villages"]["missing"] == 1 and gaps["townships"]["missing"] == 1
    officer_id = created.json()["id"]
    assert client_as("case_worker").delete(f"/api/coverage/child-welfare/officers/{officer_id}").status_code == 204
    assert client.get("/api/coverage/child-welfare/gaps").json()["villages"]["missing"] == 2


def test_network_coverage_follows_a_road_edit_at_an_admins_request(conn, client, client_as):

    ids = river_case(conn)
    refresh(conn, force=True)
    worker = client_as("case_worker")
    url = "/api/coverage?facility_type=day_care&method=network&by=township"
    assert worker.get(url).json()["total"]["covered"] == 1  # the household across the river is not reached
    bridge = {"type": "Feature", "properties": {"name": "人行桥", "road_class": "township"},
              "geometry": {"type": "LineString", "coordinates": [list(lonlat(0, 60)), list(lonlat(400, 60))]}}
    assert client.post("/api/layers/roads/features", json=bridge).status_code == 201
    body = worker.get(url).json()  # the edit marked the service areas stale: only an admin's request recomputes
    assert body["network_status"]["stale"] is True and body["total"]["covered"] == 1
    body = client.get(url).json()  # the admin's request brings them up to date
    assert body["network_status"]["stale"] is False and body["total"]["covered"] == 2
    assert worker.get(url).json()["total"]["covered"] == 2
    listed = worker.get("/api/coverage/uncovered?facility_type=day_care&method=network").json()["features"]
    assert ids["across"] not in {f["id"] for f in listed}


def test_the_radii_table_cites_standards_not_internal_documents(client):
    table = client.get("/api/coverage/radii").json()
    assert table and all(row["basis"] and "DOMAIN" not in row["basis"] for row in table)
    assert any("GB 51143-2015" in row["basis"] for row in table)
