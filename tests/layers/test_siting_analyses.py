"""Suitable land, village coverage and scattered graves, on hand-made geometry (truth by shapely, EPSG:4550)."""

from __future__ import annotations

import time

import pytest
from shapely.geometry import MultiPolygon
from sqlalchemy import text

from layers.features import Actor
from layers.siting import coverage, graves, suitable
from layers.siting.rules import get_rule_set
from tests.layers.test_siting_support import (
    insert,
    rect,
    road,
    seg,
    to_metric,
    township,
    village,
    zone,
)
from tests.layers.test_siting_support import pt as point_at

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))
T = "210381190"


def test_suitable_land_is_the_village_outside_every_hard_buffer(conn):
    _, vgeom = village(conn, T + "201", rect(0, 0, 3000, 2000))
    _, rgeom = road(conn, seg((-500, 1000), (3500, 1000)), "county")  # 200 m each side
    _, zgeom = zone(conn, "basic_farmland", rect(2500, 0, 3000, 2000))
    zone(conn, "scenic_area", rect(20000, 20000, 21000, 21000))  # far away: no effect
    result = suitable.suitable_land(conn, get_rule_set(conn), village=T + "201")
    expected = to_metric(vgeom).difference(to_metric(rgeom).buffer(200).union(to_metric(zgeom)))
    areas = sorted(p["properties"]["area_m2"] for p in result["features"])
    assert len(areas) == 2
    assert sum(areas) == pytest.approx(expected.area, rel=1e-3)
    assert areas[0] == pytest.approx(2500 * 800, rel=1e-3)
    assert [f["properties"]["rank"] for f in result["features"]] == [1, 2]
    small = suitable.suitable_land(conn, get_rule_set(conn), village=T + "201", min_area_m2=2_100_000)
    assert small["features"] == []


def test_suitable_land_of_a_township_splits_by_village(conn):
    village(conn, T + "201", rect(0, 0, 1000, 1000))
    village(conn, T + "202", rect(1000, 0, 2000, 1000))
    road(conn, seg((1000, -500), (1000, 1500)), "county")
    result = suitable.suitable_land(conn, get_rule_set(conn), township=T)
    by_village = {f["properties"]["village_code"]: f["properties"]["area_m2"] for f in result["features"]}
    assert by_village == {T + "201": pytest.approx(800_000, rel=1e-3), T + "202": pytest.approx(800_000, rel=1e-3)}


def test_suitable_land_county_is_stored_by_the_background_job(conn):
    village(conn, T + "201", rect(0, 0, 1000, 1000))
    rule_set = get_rule_set(conn)
    done = suitable.compute_county(conn, rule_set)
    assert done == {"townships": 1, "polygons": 1}
    stored = suitable.stored_county(conn, rule_set)
    assert stored["features"][0]["properties"]["area_m2"] == pytest.approx(1_000_000, rel=1e-3)


def test_coverage_own_shared_and_uncovered_villages(conn):
    township(conn, T, rect(-10000, -10000, 20000, 10000))
    village(conn, T + "201", rect(0, 0, 1000, 1000), population=1000)
    village(conn, T + "202", rect(2000, 0, 3000, 1000), population=500)  # centre ≈ 2 km from the cemetery
    village(conn, T + "203", rect(15000, 0, 16000, 1000), population=200)  # far
    insert(conn, "cemeteries", MultiPolygon([rect(400, 400, 500, 500)]), name="甲村公墓",
           cemetery_type="village_public", status="existing", village_code=T + "201", plots_total=300, plots_used=50)
    result = coverage.coverage(conn, T)
    v = {x["code"]: x for x in result["villages"]}
    assert v[T + "201"]["served_by"] == "own" and v[T + "201"]["plots_needed"] == 140
    assert v[T + "202"]["served_by"] == "shared" and v[T + "202"]["plots_needed"] == 70
    assert v[T + "203"]["covered"] is False
    assert v[T + "201"]["capacity_status"] == "sufficient"  # 250 remaining ≥ 140 + 70
    assert [u["code"] for u in result["uncovered"]] == [T + "203"]
    assert result["townships"][0]["coverage_rate"] == pytest.approx(2 / 3, abs=1e-4)
    coverage.set_parameters(conn, "county", {"share_distance_m": 1000}, PLANNER)
    coverage.set_parameters(conn, T + "201", {"public_share": 0.5}, PLANNER)
    again = {x["code"]: x for x in coverage.coverage(conn, T)["villages"]}
    assert again[T + "202"]["covered"] is False and again[T + "201"]["plots_needed"] == 70
    with pytest.raises(Exception, match="out of range"):
        coverage.set_parameters(conn, "county", {"death_rate": 2}, PLANNER)


def test_graves_classified_with_how_far_inside(conn):
    village(conn, T + "201", rect(-5000, -5000, 5000, 5000))
    road(conn, seg((-3000, 100), (3000, 100)), "expressway")
    zone(conn, "basic_farmland", rect(-1000, -1000, -500, -500))
    inside_road, _ = insert(conn, "scattered_graves", point_at(0, 0), grave_count=2)
    in_farmland, _ = insert(conn, "scattered_graves", point_at(-700, -900), grave_count=1)  # 100 m inside
    clear, _ = insert(conn, "scattered_graves", point_at(4000, -4000), grave_count=1)
    moved, _ = insert(conn, "scattered_graves", point_at(10, 10), grave_count=1, status="moved")
    result = {g["id"]: g for g in graves.classify(conn, get_rule_set(conn), village=T + "201")}
    road_hit = result[inside_road]["violations"][0]
    assert road_hit["rule"] == "highway.expressway" and road_hit["distance_m"] == pytest.approx(100.0, abs=0.5)
    assert road_hit["inside_by_m"] == pytest.approx(400.0, abs=0.5)
    farm_hit = [v for v in result[in_farmland]["violations"] if v["rule"] == "basic_farmland"][0]
    assert farm_hit["distance_m"] == 0.0 and farm_hit["inside_by_m"] == pytest.approx(100.0, abs=0.5)
    assert result[clear]["violations"] == []
    assert result[inside_road]["village_code"] == T + "201"  # found by location
    rows = graves.remediation(list(result.values()))
    assert [r["grave_id"] for r in rows] == [inside_road, in_farmland, clear]  # moved graves are not listed
    assert [r["priority"] for r in rows] == [1, 1, 2]
    assert moved in result


def test_graves_batch_runs_in_seconds(conn):
    road(conn, seg((-3000, 100), (3000, 100)), "expressway")
    zone(conn, "basic_farmland", rect(-1000, -1000, -500, -500))
    conn.execute(text(
        "INSERT INTO scattered_graves (grave_count, geom) SELECT 1, ST_SetSRID(ST_MakePoint("
        "122.70 + random() * 0.1, 40.80 + random() * 0.1), 4490) FROM generate_series(1, 3000)"))
    start = time.perf_counter()
    classified = graves.classify(conn, get_rule_set(conn))
    assert len(classified) == 3000
    assert time.perf_counter() - start < 5.0
