"""The 待办 list per role, acknowledging and resolving (audited), and the change report with its exports."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from sqlalchemy import text

from layers.exports.columns import beijing_time
from layers.gazetteer import lifecycle
from layers.labels import account_title
from tests.compliance.support import cemetery, findings, settle
from tests.utils.gazetteer import A_XY, ACTOR, add_place, make_area
from tests.utils.siting import insert, pt, road, seg

SINCE = {"since": "2000-01-01T00:00:00+08:00"}


@pytest.fixture
def world(conn):
    """One open item of each topic (and a child's household that only the case office may see)."""
    rid, _ = road(conn, seg((-3000, 0), (3000, 0)), "county")
    near, _ = cemetery(conn, 0, 100, "近处公墓")
    make_area(conn)
    street = add_place(conn, "幸福路", "07100", A_XY)
    sign = conn.execute(text(
        "INSERT INTO place_name_signs (place_name_id, sign_type, inscription, inscription_pinyin, geom) "
        "VALUES (:p, 'road', '幸福路', 'Xingfu Lu', ST_GeomFromText('POINT(122.72 40.86)', 4490)) RETURNING id"),
        {"p": street}).scalar_one()
    line, _ = insert(conn, "boundary_lines", seg((0, -100), (0, 100)), name="测试界线", line_level="county",
                     side_a="甲", side_b="乙")
    marker, _ = insert(conn, "boundary_markers", pt(0, 0), line_id=line, number="001", marker_type="single")
    shelter, _ = insert(conn, "shelters", pt(5000, 0), name="甲避难场所", shelter_type="emergency")
    adult, _ = insert(conn, "households", pt(5100, 0), head_name="张三", categories=["dibao"])
    child, _ = insert(conn, "households", pt(5200, 0), head_name="李四", categories=["dibao"], has_child_under_14=True)
    settle(conn)
    conn.execute(text("DELETE FROM compliance_findings"))  # what the first run found when things were created
    conn.execute(text("UPDATE roads SET road_class = 'provincial' WHERE id = :id"), {"id": rid})
    lifecycle.rename(conn, street, conn.execute(text("SELECT version FROM place_names WHERE id = :id"),
                                                {"id": street}).scalar_one(),
                     ACTOR, new_name="和平路", doc_no="d", rename_date=date(2025, 6, 1), justification="道路改线")
    conn.execute(text("UPDATE boundary_markers SET geom = ST_Translate(geom, 0.00005, 0) WHERE id = :id"),
                 {"id": marker})
    conn.execute(text("UPDATE shelters SET retired_at = now() WHERE id = :id"), {"id": shelter})
    settle(conn)
    return {"siting": ("cemeteries", near), "sign": ("place_name_signs", sign), "marker": ("boundary_markers", marker),
            "adult": ("households", adult), "child": ("households", child), "shelter": shelter}


def items(client):
    response = client.get("/api/compliance/todo")
    assert response.status_code == 200, response.text
    body = response.json()
    return body, [(i["topic"], i["record_layer"], i["record_id"]) for i in body["items"]]


@pytest.mark.parametrize(("role", "expected"), [
    ("funeral_planner", ["siting"]), ("place_names_editor", ["sign"]), ("boundary_surveyor", ["marker"]),
    ("case_worker", ["child", "adult"]), ("admin", ["marker", "sign", "siting"]), ("viewer", [])])
def test_each_role_sees_only_its_own_items(world, client_as, role, expected):
    body, seen = items(client_as(role))
    topic = {"siting": "siting", "sign": "sign", "marker": "marker", "adult": "coverage", "child": "coverage"}
    assert sorted(seen) == sorted((topic[k], *world[k]) for k in expected)
    assert body["count"] == len(expected)
    if role == "viewer":
        assert body["by_topic"] == []
    for item in body["items"]:
        assert item["url"] == f"/features/{item['record_layer']}/{item['record_id']}"


def test_acknowledge_needs_a_note_resolve_closes_both_audited_and_others_cannot(world, client_as, conn):
    planner = client_as("funeral_planner")
    (item,) = planner.get("/api/compliance/todo").json()["items"]
    url = f"/api/compliance/findings/{item['id']}"
    refused = planner.post(url + "/acknowledge", json={})
    assert refused.status_code == 422 and "说明" in refused.json()["message"]
    assert client_as("place_names_editor").post(url + "/resolve", json={}).status_code == 404
    acknowledged = planner.post(url + "/acknowledge", json={"note": "已通知乡镇核实"})
    assert acknowledged.status_code == 200
    assert (acknowledged.json()["state"], acknowledged.json()["acted_by"]) == ("acknowledged", "funeral_planner")
    body, _ = items(planner)
    assert body["count"] == 0 and body["items"][0]["state"] == "acknowledged"  # still listed, not counted
    assert planner.post(url + "/resolve", json={"note": "公墓已迁建"}).status_code == 200
    assert planner.post(url + "/resolve", json={}).status_code == 409
    assert items(planner)[0]["items"] == []
    audited = conn.execute(text("SELECT action, username, layer, feature_id, reason FROM audit_log "
                                "WHERE action LIKE 'compliance_%' ORDER BY id")).all()
    assert [tuple(a) for a in audited] == [
        ("compliance_acknowledge", "funeral_planner", "cemeteries", world["siting"][1], "已通知乡镇核实"),
        ("compliance_resolve", "funeral_planner", "cemeteries", world["siting"][1], "公墓已迁建")]
    assert findings(conn, id=item["id"])[0]["note"] == "公墓已迁建"


def test_change_report_suppresses_small_coverage_cells_for_roles_without_household_access(world, client_as):
    def shelter_change(client):
        body = client.get("/api/changes", params=SINCE).json()
        (change,) = [c for c in body["changes"] if c["layer"] == "shelters" and c["operation"] == "retire"]
        return body, change

    body, change = shelter_change(client_as("case_worker"))
    assert change["caused"] == {"coverage_lost": 2} and body["note"] is None
    body, change = shelter_change(client_as("viewer"))
    assert change["caused"] == {} and change["coverage_suppressed"] is True
    assert "小于 5 户" in body["note"]
    roads = next(s for s in body["layers"] if s["layer"] == "roads")
    assert (roads["layer_title"], roads["caused"]) == ("公路", {"new_violation": 1, "resolved": 1})


def test_change_report_exports_and_checks_its_period(world, client):
    xlsx = client.get("/api/changes", params={**SINCE, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get("/api/changes", params={**SINCE, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    # times in Beijing time (they were UTC), accounts by their title
    words = "".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                                   check=True).stdout.decode().split())
    first = client.get("/api/changes", params=SINCE).json()["changes"][0]
    assert beijing_time(first["changed_at"])[:19].replace(" ", "") in words
    assert first["changed_by_title"] == account_title(first["changed_by"])
    wrong = client.get("/api/changes", params={**SINCE, "until": "1999-01-01T00:00:00+08:00"})
    assert wrong.status_code == 422 and "until" in wrong.json()["message"]
    assert client.get("/api/changes", params={"since": "上个月"}).status_code == 422
