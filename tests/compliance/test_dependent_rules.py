"""Rules that depend on other layers: signs of a renamed street, records of a moved marker, households that
lost or gained a shelter within its radius."""

from __future__ import annotations

from datetime import date

from shapely.geometry import Point
from sqlalchemy import text

from layers.catalog import registry
from layers.compliance import others
from layers.compliance.queue import WATCHED
from layers.coverage.radii import DEFAULTS
from layers.gazetteer import lifecycle
from tests.compliance.support import findings, settle
from tests.utils.gazetteer import A_XY, ACTOR, add_place, make_area
from tests.utils.siting import insert, pt, seg, to_metric


def _version(conn, table, fid):
    return conn.execute(text(f"SELECT version FROM {table} WHERE id = :id"), {"id": fid}).scalar_one()


def _sign(conn, place, inscription, pinyin):
    return conn.execute(text(
        "INSERT INTO place_name_signs (place_name_id, sign_type, inscription, inscription_pinyin, geom) "
        "VALUES (:p, 'road', :n, :y, ST_GeomFromText('POINT(122.72 40.86)', 4490)) RETURNING id"),
        {"p": place, "n": inscription, "y": pinyin}).scalar_one()


def test_a_renamed_street_lists_its_signs(conn):
    make_area(conn)
    street = add_place(conn, "幸福路", "07100", A_XY)
    other = add_place(conn, "和谐路", "07100", A_XY)
    signs = [_sign(conn, street, "幸福路", "Xingfu Lu"), _sign(conn, street, "幸福路", "Xingfu Lu")]
    _sign(conn, other, "和谐路", "Hexie Lu")
    settle(conn)
    assert findings(conn, topic="sign") == []
    lifecycle.rename(conn, street, _version(conn, "place_names", street), ACTOR, new_name="和平路", doc_no="d",
                     rename_date=date(2025, 6, 1), justification="道路改线")
    settle(conn)
    found = findings(conn, topic="sign")
    assert [(f["record_layer"], f["record_id"], f["kind"], f["state"]) for f in found] == [
        ("place_name_signs", s, "stale_sign", "open") for s in signs]
    assert found[0]["detail"] == {"inscription": "幸福路", "should_read": "和平路", "should_read_pinyin": "Heping Lu",
                                  "place_id": street, "abolished": False}
    assert (found[0]["cause_layer"], found[0]["cause_id"]) == ("place_names", street)
    # a later edit of the same street does not list the same signs twice
    conn.execute(text("UPDATE place_names SET description = '改线后' WHERE id = :id"), {"id": street})
    settle(conn)
    assert len(findings(conn, topic="sign")) == 2


def test_a_moved_marker_flags_the_records_that_refer_to_its_old_position(conn):
    line, _ = insert(conn, "boundary_lines", seg((0, -100), (0, 100)), name="测试界线", line_level="county",
                     side_a="甲", side_b="乙")
    marker, old = insert(conn, "boundary_markers", pt(0, 0), line_id=line, number="001", marker_type="single")
    campaign = conn.execute(text("INSERT INTO inspection_campaigns (name, year, tolerance_m) "
                                 "VALUES ('2025 年联检', 2025, 1.0) RETURNING id")).scalar_one()
    record, _ = insert(conn, "inspection_records", pt(0.2, 0), campaign_id=campaign, marker_id=marker,
                       client_id="r-1", marker_version=1)
    settle(conn)
    assert findings(conn, topic="marker") == []
    # re-surveyed (here straight in the database, as QGIS would): 0.00005° east
    conn.execute(text("UPDATE boundary_markers SET geom = ST_Translate(geom, 0.00005, 0) WHERE id = :id"),
                 {"id": marker})
    settle(conn)
    (f,) = findings(conn, topic="marker")
    assert (f["record_layer"], f["record_id"], f["kind"]) == ("boundary_markers", marker, "marker_moved")
    assert f["detail"] == {"version": 2, "records": [record], "campaigns": [f"{campaign} 2025 年联检"]}
    new = Point(old.x + 0.00005, old.y)
    assert f["distance_after_m"] == round(to_metric(old).distance(to_metric(new)), 3)


def test_a_closed_shelter_lists_households_that_lost_it(conn):
    shelter, _ = insert(conn, "shelters", pt(0, 0), name="甲避难场所", shelter_type="emergency")
    other, _ = insert(conn, "shelters", pt(1000, 0), name="乙避难场所", shelter_type="emergency")
    homes = {x: insert(conn, "households", pt(x, 0), head_name="张三", categories=["dibao"])[0]
             for x in (100, 450, 520, 700)}
    settle(conn)
    gained = findings(conn, topic="coverage")  # opened: each household gained its nearest shelter
    assert [(f["record_id"], f["kind"], f["cause_id"]) for f in gained] == [
        (homes[100], "coverage_gained", shelter), (homes[450], "coverage_gained", shelter),
        (homes[520], "coverage_gained", other), (homes[700], "coverage_gained", other)]
    conn.execute(text("UPDATE shelters SET retired_at = now(), retired_reason = '拆除' WHERE id = :id"),
                 {"id": shelter})
    settle(conn)
    # 500 m (GB 51143): 100 and 450 m lost it; 520 m was never in reach; 700 m is 300 m from the other one
    lost = findings(conn, topic="coverage", kind="coverage_lost")
    assert [(f["record_id"], f["kind"], f["required_m"]) for f in lost] == [
        (homes[100], "coverage_lost", 500.0), (homes[450], "coverage_lost", 500.0)]
    assert lost[0]["basis"] == "默认值：紧急避难场所服务半径 500 m（约 10 分钟步行；GB 51143-2015）"


def test_a_village_service_centre_closed_or_moved_lists_the_households_of_its_village(conn):
    """村(社区)综合服务设施 serves its own village (scope ``village``): its findings follow the village, not a
    distance — and reach the queue because the layer declares that it counts in coverage (issue 19)."""
    east, west = "210381100200", "210381100201"
    centre, _ = insert(conn, "community_service_centers", pt(0, 0), name="东村党群服务中心",
                       service_type="village_service_center", village_code=east)
    homes = {(code, x): insert(conn, "households", pt(x, 5000), head_name="张三", categories=["dibao"],
                               village_code=code)[0] for code in (east, west) for x in (100, 9000)}
    settle(conn)
    gained = findings(conn, topic="coverage")
    assert [(f["record_id"], f["kind"], f["cause_layer"], f["cause_id"], f["required_m"]) for f in gained] == [
        (homes[(east, 100)], "coverage_gained", "community_service_centers", centre, None),
        (homes[(east, 9000)], "coverage_gained", "community_service_centers", centre, None)]  # 9 km: same village
    assert gained[0]["basis"] == DEFAULTS["village_service_center"].basis
    assert gained[0]["detail"] == {"facility_type": "village_service_center", "village_code": east,
                                   "facility_version": 1, "village": east}
    # moved to the west village (its code corrected): the east households lose it, the west ones gain it
    conn.execute(text("UPDATE community_service_centers SET village_code = :v WHERE id = :id"),
                 {"v": west, "id": centre})
    settle(conn)
    moved = findings(conn, topic="coverage", cause_id=centre)[2:]
    assert [(f["record_id"], f["kind"]) for f in moved] == [
        (homes[(east, 100)], "coverage_lost"), (homes[(east, 9000)], "coverage_lost"),
        (homes[(west, 100)], "coverage_gained"), (homes[(west, 9000)], "coverage_gained")]
    # a second centre in the west village: closing the first one leaves nobody without
    insert(conn, "community_service_centers", pt(50, 0), name="西村党群服务中心", service_type="village_service_center",
           village_code=west)
    settle(conn)
    before = len(findings(conn, topic="coverage"))
    conn.execute(text("UPDATE community_service_centers SET retired_at = now(), retired_reason = '合并' "
                      "WHERE id = :id"), {"id": centre})
    settle(conn)
    assert len(findings(conn, topic="coverage")) == before


def test_every_layer_that_counts_in_coverage_is_followed_by_the_queue(conn):
    """The queue's handlers and the database trigger's watch list are built from the declarations."""
    counted = [spec.name for spec in registry() if spec.coverage]
    assert counted == ["shelters", "care_facilities", "community_service_centers"]
    assert [layer for layer, handler in others.HANDLERS if handler is others.coverage] == counted
    assert set(counted) <= set(WATCHED)
    definition = conn.execute(text("SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                                   "WHERE tgname = 'feature_history_compliance'")).scalar_one()
    listed = definition[definition.index("ARRAY[") + 6:definition.index("])")]
    assert [name.strip().split("'")[1] for name in listed.split(",")] == list(WATCHED)
