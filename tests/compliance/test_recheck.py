"""Re-check on change: a road upgrade, a new farmland polygon, a restore, a rule-set version, a QGIS edit.

The expected cemeteries are computed here with shapely in EPSG:4550, independently of the SQL under test.
"""

from __future__ import annotations

from shapely.geometry import MultiPolygon, mapping
from sqlalchemy import text

from layers.roles import Actor
from layers.siting.rules import create_version, get_rule_set
from tests.compliance.support import candidate, cemetery, findings, grave, settle
from tests.utils.siting import pt, rect, road, seg, to_lonlat, to_metric, zone

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))
HALF_WIDTH = {"provincial": 7.0, "county": 5.25}  # default widths 14 m and 10.5 m (data/rules corridor_widths)


def test_road_upgraded_to_provincial_flags_exactly_the_cemeteries_now_within_its_distance(conn, client):
    rid, road_geom = road(conn, seg((-3000, 0), (3000, 0)), "county", name="县道X101")
    # cemeteries north of the road; their south edge at these distances from its centreline
    offsets = [60, 180, 300, 450, 500, 503, 508, 520, 590, 800]
    stored = {cemetery(conn, 0, y, f"公墓{y}")[0]: y for y in offsets}
    stored_geoms = {cid: g for cid, g in (
        (cid, to_lonlat(MultiPolygon([rect(0, y, 20, y + 20)]))) for cid, y in stored.items())}
    far, _ = cemetery(conn, 0, 2000, "远处公墓")  # outside the road's reach: not even re-checked
    gid, grave_geom = grave(conn, pt(100, -400))
    settle(conn)  # the first run records every record's check (no findings: nothing changed yet)
    assert findings(conn) == []

    response = client.patch(f"/api/layers/roads/features/{rid}", headers={"If-Match": '"1"'},
                            json={"properties": {"road_class": "provincial"}})
    assert response.status_code == 200, response.text
    summary = settle(conn)

    # independent truth: the edge of the road (centreline − 7 m) nearer than 500 m
    def edge(geom, cls):
        return to_metric(geom).distance(to_metric(road_geom)) - HALF_WIDTH[cls]

    expected_new = {cid for cid, g in stored_geoms.items() if round(edge(g, "provincial"), 1) < 500}
    assert len(expected_new) == 6  # 60 … 503 m; 508 m (edge 501 m) is not: computed above, not assumed
    expected_resolved = {cid for cid, g in stored_geoms.items() if round(edge(g, "county"), 1) < 200}
    new = findings(conn, kind="new_violation", rule="highway.provincial")
    assert {f["record_id"] for f in new if f["record_layer"] == "cemeteries"} == expected_new
    assert [f["record_id"] for f in new if f["record_layer"] == "scattered_graves"] == [gid]
    assert round(edge(grave_geom, "provincial"), 1) < 500
    resolved = findings(conn, kind="resolved", rule="highway.county")
    assert {(f["record_layer"], f["record_id"]) for f in resolved} == {("cemeteries", c) for c in expected_resolved}
    assert len(expected_resolved) == 2  # 60 and 180 m were inside the county road's 200 m
    for f in new:
        assert (f["topic"], f["state"], f["cause_layer"], f["cause_id"]) == ("siting", "open", "roads", rid)
        assert f["required_m"] == 500.0 and "《殡葬管理条例》第十条" in f["basis"]
        if f["record_layer"] == "cemeteries":
            assert f["distance_after_m"] == round(edge(stored_geoms[f["record_id"]], "provincial"), 1)
            assert f["distance_before_m"] is None  # no provincial road before
    for f in resolved:
        assert f["distance_before_m"] is not None and f["distance_after_m"] is None
    # the spatial index bounded the work: the far cemetery was not re-checked
    assert summary["siting"]["constraints"]["checked"] == len(offsets) + 1
    assert far not in {f["record_id"] for f in findings(conn)}
    change = conn.execute(text("SELECT source, feature_id, operation, outcome FROM compliance_changes "
                               "WHERE source = 'roads' ORDER BY id DESC LIMIT 1")).one()
    assert (change.source, change.feature_id, change.operation) == ("roads", rid, "update")
    assert change.outcome["findings"] == {"new_violation": 7, "resolved": 2}


def test_new_farmland_under_a_candidate_flags_it_and_restoring_the_old_version_resolves_it(conn, client):
    a, _ = candidate(conn, rect(0, 0, 50, 50), "候选地甲")
    b, _ = candidate(conn, rect(1000, 0, 1050, 50), "候选地乙")
    existing, _ = zone(conn, "basic_farmland", rect(1200, 0, 1500, 300), name="基本农田乙")
    settle(conn)

    new = client.post("/api/layers/basic_farmland/features", json={
        "type": "Feature", "geometry": mapping(to_lonlat(rect(-100, -100, 100, 25))),
        "properties": {"name": "新划基本农田"}})
    assert new.status_code == 201, new.text
    settle(conn)
    flagged = findings(conn, kind="new_violation")
    assert [(f["record_layer"], f["record_id"], f["rule"]) for f in flagged] == [
        ("candidate_sites", a, "basic_farmland")]
    assert flagged[0]["cause_id"] == new.json()["id"] and flagged[0]["distance_after_m"] == 0.0
    assert flagged[0]["detail"]["inside"] is True

    url = f"/api/layers/basic_farmland/features/{existing}"
    moved = client.patch(url, headers={"If-Match": '"1"'},
                         json={"geometry": mapping(to_lonlat(rect(1020, 0, 1500, 300)))})
    assert moved.status_code == 200, moved.text
    settle(conn)
    (on_b,) = findings(conn, kind="new_violation", record_id=b)
    assert (on_b["cause_id"], on_b["state"], on_b["distance_before_m"]) == (existing, "open", 150.0)

    restored = client.post(url + "/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert restored.status_code == 200, restored.text
    settle(conn)
    (gone,) = findings(conn, kind="resolved", record_id=b)
    assert (gone["rule"], gone["distance_before_m"], gone["distance_after_m"]) == ("basic_farmland", 0.0, 150.0)
    (closed,) = findings(conn, id=on_b["id"])
    assert closed["state"] == "resolved" and closed["acted_by"] == "系统"
    assert findings(conn, record_id=a)[0]["state"] == "open"  # the other candidate's finding stays


def test_edit_straight_in_the_database_and_a_rule_set_version_count_too(conn):
    rid, _ = road(conn, seg((-3000, 0), (3000, 0)), "county")
    near, _ = cemetery(conn, 0, 250, "近处公墓")
    mid, _ = cemetery(conn, 0, 350, "稍远公墓")
    settle(conn)
    # as QGIS would: a plain UPDATE (≈ 55.5 m north); the history trigger queues it
    conn.execute(text("UPDATE roads SET geom = ST_Translate(geom, 0, 0.0005) WHERE id = :id"), {"id": rid})
    settle(conn)
    (f,) = findings(conn, kind="new_violation")
    assert (f["record_id"], f["rule"], f["cause_layer"], f["cause_id"]) == (near, "highway.county", "roads", rid)
    rule_set = get_rule_set(conn)
    create_version(conn, rule_set.id, [{"constraint": "highway", "class": "county", "distance_m": 400,
                                        "hard": False, "grade": "local", "basis": "本项目默认值，由民政局设定"}],
                   rule_set.version, PLANNER, note="县道间距调整")
    settle(conn)
    (g,) = findings(conn, kind="new_violation", record_id=mid)
    assert (g["rule"], g["cause_layer"], g["cause_id"], g["required_m"]) == (
        "highway.county", "siting_rule_set_versions", rule_set.id, 400.0)
    assert g["basis"].startswith("地方参数，来源：")


def test_the_background_job_drains_everything_that_waits(conn):
    from gis_server.jobs import JobContext
    from gis_server.routers.compliance import drain
    from tests.utils.database import RollbackDatabase

    road(conn, seg((-3000, 0), (3000, 0)), "county")
    cemetery(conn, 0, 100, "近处公墓")
    progress = []
    done = drain(JobContext(RollbackDatabase(conn), 1, lambda f, m: progress.append((f, m))), {})
    assert (done["changes"], done["rounds"]) == (2, 1) and progress == [(0.5, "已复核 2 项变更")]
    assert conn.execute(text("SELECT count(*) FROM compliance_changes WHERE processed_at IS NULL")).scalar() == 0
    rules = len(get_rule_set(conn).rules)
    assert rules == 17 and conn.execute(text("SELECT count(*) FROM compliance_status")).scalar() == rules


def test_retiring_a_record_closes_its_open_findings(conn, client):
    rid, _ = road(conn, seg((-3000, 0), (3000, 0)), "county")
    cid, _ = cemetery(conn, 0, 250, "近处公墓")
    settle(conn)
    conn.execute(text("UPDATE roads SET road_class = 'provincial' WHERE id = :id"), {"id": rid})
    settle(conn)
    (f,) = findings(conn, kind="new_violation")
    assert f["state"] == "open"
    retired = client.delete(f"/api/layers/cemeteries/features/{cid}", params={"reason": "已迁建"},
                            headers={"If-Match": '"1"'})
    assert retired.status_code in (200, 204), retired.text
    settle(conn)
    (closed,) = findings(conn, id=f["id"])
    assert (closed["state"], closed["acted_by"], closed["note"]) == ("resolved", "系统", "记录已注销（或候选地已驳回）")
