"""Site checks: exact distances (truth by shapely in EPSG:4550), every constraint kind, the boundary case,
polygons and points, multi-part features, and the nearest-in-degrees trap."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import MultiLineString, MultiPolygon
from sqlalchemy import text

from layers.roles import Actor
from layers.siting.check import check_site
from layers.siting.rules import all_keys, create_version, get_rule_set
from tests.utils.siting import (
    DEFAULT_WIDTH_M,
    by_rule,
    edge,
    railway,
    rect,
    river,
    road,
    seg,
    to_lonlat,
    to_metric,
    truth,
    zone,
)
from tests.utils.siting import pt as point_at

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))


def check(conn, site_metric, rule_set=None):
    site = to_lonlat(site_metric)
    return site, check_site(conn, site, rule_set or get_rule_set(conn))


def assert_distance(result, expected):
    assert result["distance_m"] == pytest.approx(expected, abs=0.5)
    assert result["distance_m"] == round(expected, 1)


def test_point_site_every_constraint_kind(conn):
    # one feature per rule, each at its own distance; (distance, should it violate?)
    features = {
        "highway.expressway": (road, ("expressway",), seg((600, -3000), (600, 3000)), False),
        "highway.national": (road, ("national",), seg((-3000, 420.3), (3000, 420.3)), True),
        "highway.provincial": (road, ("provincial",), seg((-700, -3000), (-690, 3000)), False),
        "highway.county": (road, ("county",), seg((150, -100), (150, -3000)), True),
        "highway.township": (road, ("township",), seg((-4, -50), (-4, 50)), True),  # 4 m: inside its land
        "railway.high_speed": (railway, ("high_speed",), seg((2000, -50), (2500, -500)), False),
        "railway.conventional": (railway, ("conventional",), seg((-3000, -480), (3000, -470)), True),
        "river_embankment": (river, ("embankment",), seg((200, 200), (900, 900)), True),
    }
    zones = {
        "basic_farmland": (rect(20, 20, 300, 300), False),  # outside: 0 m rule, 28.28 m away
        "cultivated_land": (rect(-300, 5, 300, 100), False),  # 5 m away
        "forest_land": (rect(-50, -50, 50, 50), True),  # the site is inside
        "urban_park": (rect(3000, 3000, 3100, 3100), False),
        "urban_planning": (rect(-5000, -5000, -4000, -4000), False),
        "scenic_area": (rect(1900, -100, 2600, 400), True),
        "nature_reserve": (rect(-100, 2050, 100, 2500), False),
        "water_source": (rect(-1500, -1500, -1000, -1000), True),
        "heritage_site": (rect(-10, -10, 10, 10), True),  # the site is inside
    }
    stored = {}
    for rule, (make, args, geom, _) in features.items():
        stored[rule] = make(conn, geom, *args)
    for rule, (geom, _) in zones.items():
        stored[rule] = zone(conn, rule, geom)
    site, report = check(conn, point_at(0, 0))
    results = by_rule(report)
    assert list(results) == all_keys()
    expected_violations = {r for r, v in features.items() if v[3]} | {r for r, v in zones.items() if v[1]}
    for rule, result in results.items():
        fid, geom = stored[rule]
        if rule in DEFAULT_WIDTH_M:  # roads and railways: from the edge of their land, both figures reported
            assert_distance(result, edge(rule, truth(site, geom)))
            assert result["centreline_distance_m"] == round(truth(site, geom), 1)
            assert (result["width_m"], result["width_source"]) == (DEFAULT_WIDTH_M[rule], "default")
        else:
            assert_distance(result, truth(site, geom))
            assert "centreline_distance_m" not in result
        assert result["nearest"]["id"] == fid
        assert result["violated"] == (rule in expected_violations), rule
    assert results["heritage_site"]["distance_m"] == 0.0 and results["heritage_site"]["inside"]
    assert results["heritage_site"]["overlap_area_m2"] == 0.0  # a point has no area
    township_road = results["highway.township"]
    assert (township_road["centreline_distance_m"], township_road["distance_m"]) == (4.0, 0.0)
    assert results["forest_land"]["inside"] and results["forest_land"]["hard"]
    assert results["basic_farmland"]["distance_m"] == pytest.approx(28.3, abs=0.05)
    assert results["highway.expressway"]["nearest"]["layer"] == "roads"
    assert results["basic_farmland"]["nearest"]["layer"] == "basic_farmland"
    assert results["river_embankment"]["overlap_area_m2"] is None
    assert report["compliant"] is False
    assert report["area_m2"] == 0.0


def test_exactly_at_the_required_distance_passes_just_inside_fails(conn):
    road(conn, seg((514, -2000), (514, 2000)), "expressway")  # its land's edge 500 m east of the origin (28 m wide)
    _, at_distance = check(conn, point_at(0, 0))
    result = by_rule(at_distance)["highway.expressway"]
    assert result["distance_m"] == 500.0 and result["violated"] is False
    _, inside = check(conn, point_at(0.1, 0))  # 499.9 m from the edge
    result = by_rule(inside)["highway.expressway"]
    assert result["distance_m"] == 499.9 and result["violated"] is True
    assert inside["compliant"] is False and at_distance["compliant"] is True


def test_polygon_site_overlapping_a_zone(conn):
    farmland_id, farmland = zone(conn, "basic_farmland", rect(0, 0, 400, 300))
    site, report = check(conn, rect(300, 200, 380, 360))  # 80 × 160 m, overlapping 80 × 100 m
    result = by_rule(report)["basic_farmland"]
    expected_overlap = to_metric(site).intersection(to_metric(farmland)).area
    assert result["distance_m"] == 0.0 and result["violated"] and result["inside"]
    assert result["overlap_area_m2"] == pytest.approx(expected_overlap, abs=1.0)
    assert result["overlap_area_m2"] == pytest.approx(8000.0, abs=1.0)
    assert result["nearest"] == {"layer": "basic_farmland", "id": farmland_id, "name": "测试区"}
    assert report["area_m2"] == pytest.approx(to_metric(site).area, abs=1.0)


def test_polygon_site_touching_a_zone_edge_is_not_inside(conn):
    zone(conn, "urban_planning", rect(0, 0, 400, 300))
    _, report = check(conn, rect(400, 0, 500, 100))
    result = by_rule(report)["urban_planning"]
    assert result["distance_m"] == 0.0
    assert result["violated"] is False and result["overlap_area_m2"] == pytest.approx(0.0, abs=1.0)


def test_polygon_site_distance_is_from_its_edge(conn):
    _, line = road(conn, seg((-2000, 700), (2000, 700)), "county")
    site, report = check(conn, rect(-50, -50, 50, 50))  # top edge at 50 m: 650 m from the centreline
    assert_distance(by_rule(report)["highway.county"], edge("highway.county", truth(site, line)))
    assert by_rule(report)["highway.county"]["distance_m"] == pytest.approx(650.0 - 5.25, abs=0.5)


def test_multi_part_features(conn):
    far_and_near = MultiLineString([seg((-3000, 3000), (3000, 3000)), seg((800, -100), (800, 100))])
    river_id, stored = river(conn, far_and_near, "river")
    zone_parts = MultiPolygon([rect(5000, 5000, 6000, 6000), rect(-1200, -100, -1100, 100)])
    reserve_id, reserve = zone(conn, "nature_reserve", zone_parts)
    site, report = check(conn, point_at(0, 0))
    results = by_rule(report)
    assert_distance(results["river_embankment"], truth(site, stored))
    assert results["river_embankment"]["distance_m"] == pytest.approx(800.0, abs=0.5)
    assert results["river_embankment"]["nearest"]["id"] == river_id
    assert_distance(results["nature_reserve"], truth(site, reserve))
    assert results["nature_reserve"]["distance_m"] == pytest.approx(1100.0, abs=0.5)
    assert results["nature_reserve"]["violated"]


def test_long_segmented_expressway_is_not_picked_by_degrees(conn):
    """In lon/lat, 0.0050° north (≈ 555 m) looks nearer than 0.0058° east (≈ 489 m): KNN in degrees is wrong,
    and here it would even pass a site that violates the 500 m rule."""
    origin = to_lonlat(point_at(0, 0))
    x0, y0 = origin.x, origin.y
    # a long east-west expressway north of the site, in 1 km segments
    north_ids = []
    for k in range(-10, 10):
        line = shapely.LineString([(x0 + k * 0.012, y0 + 0.005), (x0 + (k + 1) * 0.012, y0 + 0.005)])
        north_ids.append(road(conn, to_metric(line), "expressway", "北段")[0])
    east_line = shapely.LineString([(x0 + 0.0058, y0 - 0.0005), (x0 + 0.0058, y0 + 0.0005)])
    east_id, east = road(conn, to_metric(east_line), "expressway", "东段")
    naive = conn.execute(text(
        "SELECT id FROM roads WHERE road_class = 'expressway' "
        "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 4490) LIMIT 1"), {"x": x0, "y": y0}).scalar_one()
    assert naive in north_ids  # the trap: nearest in degrees
    site, report = check(conn, point_at(0, 0))
    result = by_rule(report)["highway.expressway"]
    assert result["nearest"]["id"] == east_id
    assert_distance(result, edge("highway.expressway", truth(site, east)))
    assert 466 < result["distance_m"] < 481 and result["violated"]
    north = conn.execute(text("SELECT geom FROM roads WHERE id = :id"), {"id": naive}).scalar_one()
    assert truth(site, shapely.from_wkb(bytes.fromhex(str(north)))) > 550  # what KNN-in-degrees would report


def test_no_feature_of_a_kind_passes_with_no_distance(conn):
    _, report = check(conn, point_at(0, 0))
    for result in report["results"]:
        assert result["distance_m"] is None and result["nearest"] is None and result["violated"] is False
    assert report["compliant"] is True


def test_retired_features_are_ignored(conn):
    fid, _ = road(conn, seg((100, -100), (100, 100)), "expressway")
    conn.execute(text("UPDATE roads SET retired_at = now() WHERE id = :id"), {"id": fid})
    _, report = check(conn, point_at(0, 0))
    assert by_rule(report)["highway.expressway"]["nearest"] is None


def test_advisory_rule_does_not_make_a_site_non_compliant(conn):
    default = get_rule_set(conn)
    advisory = create_version(conn, default.id, [{"constraint": "highway", "class": "county", "hard": False}],
                              default.version, PLANNER)
    road(conn, seg((100, -100), (100, 100)), "county")
    _, report = check(conn, point_at(0, 0), advisory)
    result = by_rule(report)["highway.county"]
    assert result["violated"] and not result["hard"]
    assert report["compliant"] is True
    assert report["rule_set"] == {"id": default.id, "version": default.version + 1, "name": default.name}


def test_an_advisory_rule_still_binds_below_the_legal_floor(conn):
    default = get_rule_set(conn)
    advisory = create_version(conn, default.id, [{"constraint": "highway", "class": "county", "hard": False}],
                              default.version, PLANNER)
    # 11.25 m from the centreline, 6 m from the edge of its 10.5 m wide land: inside the 10 m building control strip
    road(conn, seg((11.25, -100), (11.25, 100)), "county")
    _, report = check(conn, point_at(0, 0), advisory)
    result = by_rule(report)["highway.county"]
    assert (result["distance_m"], result["legal_floor_m"], result["below_legal_floor"]) == (6.0, 10.0, True)
    assert result["violated"] and result["hard"]
    assert report["compliant"] is False


def test_site_lies_in_village_and_township(conn):
    from tests.utils.siting import township, village

    township(conn, "210381190", rect(-3000, -3000, 3000, 3000), "测试镇")
    village(conn, "210381190201", rect(-1000, -1000, 1000, 1000), name="甲村")
    _, report = check(conn, rect(-10, -10, 10, 10))
    assert report["village"] == {"code": "210381190201", "name": "甲村"}
    assert report["township"] == {"code": "210381190", "name": "测试镇"}


def test_a_reservoir_dam_counts_as_an_embankment(conn):
    conn.execute(text("INSERT INTO rivers (name, river_kind, geom) VALUES ('示例水库大坝', 'reservoir_dam', "
                      "ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromText(:wkt), 4550), 4490)))"),
                 {"wkt": seg((200, -100), (200, 100)).wkt})
    _, report = check(conn, point_at(0, 0))
    result = by_rule(report)["river_embankment"]
    assert (result["distance_m"], result["violated"], result["nearest"]["name"]) == (200.0, True, "示例水库大坝")
