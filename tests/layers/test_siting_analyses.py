"""Suitable land, village coverage and scattered graves, on hand-made geometry (truth by shapely, EPSG:4550)."""

from __future__ import annotations

import time

import pytest
from shapely.geometry import MultiPolygon
from sqlalchemy import text

from layers.roles import Actor
from layers.siting import coverage, graves, suitable
from layers.siting.rules import get_rule_set
from tests.utils.siting import (
    insert,
    rect,
    road,
    seg,
    to_metric,
    township,
    village,
    zone,
)
from tests.utils.siting import pt as point_at

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))
T = "210381190"


def test_suitable_land_is_the_village_outside_every_hard_buffer(conn):
    _, vgeom = village(conn, T + "201", rect(0, 0, 3000, 2000))
    _, rgeom = road(conn, seg((-500, 1000), (3500, 1000)), "national")  # 500 m each side of its 14 m wide land
    _, zgeom = zone(conn, "basic_farmland", rect(2500, 0, 3000, 2000))
    zone(conn, "scenic_area", rect(20000, 20000, 21000, 21000))  # far away: no effect
    result = suitable.suitable_land(conn, get_rule_set(conn), village=T + "201")
    expected = to_metric(vgeom).difference(to_metric(rgeom).buffer(507).union(to_metric(zgeom)))
    areas = sorted(p["properties"]["area_m2"] for p in result["features"])
    assert len(areas) == 2
    assert sum(areas) == pytest.approx(expected.area, rel=1e-3)
    assert areas[0] == pytest.approx(2500 * 493, rel=1e-3)
    assert [f["properties"]["rank"] for f in result["features"]] == [1, 2]
    small = suitable.suitable_land(conn, get_rule_set(conn), village=T + "201", min_area_m2=1_300_000)
    assert small["features"] == []


def test_suitable_land_of_a_township_splits_by_village(conn):
    village(conn, T + "201", rect(0, 0, 1000, 1000))
    village(conn, T + "202", rect(1000, 0, 2000, 1000))
    road(conn, seg((1000, -500), (1000, 1500)), "national")  # 500 m + 7 m (half its default width) each side
    result = suitable.suitable_land(conn, get_rule_set(conn), township=T)
    by_village = {f["properties"]["village_code"]: f["properties"]["area_m2"] for f in result["features"]}
    assert by_village == {T + "201": pytest.approx(493_000, rel=1e-3), T + "202": pytest.approx(493_000, rel=1e-3)}


def test_suitable_land_county_is_stored_by_the_background_job(conn):
    village(conn, T + "201", rect(0, 0, 1000, 1000))
    rule_set = get_rule_set(conn)
    done = suitable.compute_county(conn, rule_set)
    assert done == {"townships": 1, "polygons": 1}
    stored = suitable.stored_county(conn, rule_set)
    assert stored["features"][0]["properties"]["area_m2"] == pytest.approx(1_000_000, rel=1e-3)


def test_coverage_own_agreement_and_uncovered_villages(conn):
    """《殡葬管理条例》 Art. 9: a village is covered by its own cemetery or by one whose recorded agreement names it,
    not by a cemetery nearby; an urban community is served by the columbarium and is not a village."""
    township(conn, T, rect(-10000, -10000, 20000, 10000))
    village(conn, T + "201", rect(0, 0, 1000, 1000), population=1000)
    village(conn, T + "202", rect(1000, 0, 2000, 1000), population=500)  # next door, no agreement
    village(conn, T + "203", rect(15000, 0, 16000, 1000), population=200)  # far, by agreement
    village(conn, T + "205", rect(-5000, 0, -4000, 1000), population=300)
    insert(conn, "villages", rect(5000, 0, 6000, 1000), code=T + "004", name="某社区", township_code=T,
           population=4000, kind="community")
    insert(conn, "cemeteries", MultiPolygon([rect(400, 400, 500, 500)]), name="甲村公墓",
           cemetery_type="village_public", status="existing", village_code=T + "201", plots_total=300, plots_used=50,
           serves_villages=[T + "203"], service_agreement="海民殡协〔2025〕3号")
    # it says it serves 202 but no agreement is recorded (written straight in PostGIS): that does not count
    insert(conn, "cemeteries", MultiPolygon([rect(-4600, 400, -4500, 500)]), name="戊村公墓",
           cemetery_type="village_public", status="existing", village_code=T + "205", plots_total=100,
           serves_villages=[T + "202"])
    columbarium, _ = insert(conn, "cemeteries", MultiPolygon([rect(5400, 400, 5500, 500)]), name="城区骨灰堂",
                            cemetery_type="columbarium", status="existing", village_code=T + "004")
    result = coverage.coverage(conn, T)
    v = {x["code"]: x for x in result["villages"]}
    assert list(v) == [T + "201", T + "202", T + "203", T + "205"]  # the community is not a village
    assert (v[T + "201"]["served_by"], v[T + "201"]["plots_needed"]) == ("own", 140)
    assert (v[T + "203"]["served_by"], v[T + "203"]["agreement"]) == ("agreement", "海民殡协〔2025〕3号")
    assert (v[T + "202"]["covered"], v[T + "202"]["served_by"]) == (False, None)
    assert v[T + "201"]["cemetery"]["plots_needed_by_all_served"] == 168  # 140 + 28
    assert v[T + "201"]["capacity_status"] == "sufficient"  # 250 remaining ≥ 168
    assert [u["code"] for u in result["uncovered"]] == [T + "202"]
    assert result["county"] == {"villages": 4, "covered": 3, "coverage_rate": 0.75}
    assert result["communities"]["count"] == 1 and result["communities"]["covered"] == 1
    assert result["communities"]["served_by_cemeteries"] == [columbarium]
    coverage.set_parameters(conn, T + "201", {"public_share": 0.5}, PLANNER)
    again = {x["code"]: x for x in coverage.coverage(conn, T)["villages"]}
    assert again[T + "201"]["plots_needed"] == 70
    with pytest.raises(Exception, match="out of range"):
        coverage.set_parameters(conn, "county", {"death_rate": 2}, PLANNER)
    with pytest.raises(Exception, match="unknown parameter"):  # no distance makes a village covered any more
        coverage.set_parameters(conn, "county", {"share_distance_m": 3000}, PLANNER)


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
    # 100 m from the centreline, 86 m from the edge of its 28 m wide land
    assert road_hit["rule"] == "highway.expressway" and road_hit["distance_m"] == pytest.approx(86.0, abs=0.05)
    assert road_hit["inside_by_m"] == pytest.approx(414.0, abs=0.05)
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
