"""Network coverage on hand-made roads: a river with no bridge nearby makes the way round ~10 km.

West road x = 0 and east road x = 400 m run north from y = 0 to y = 5,000 m and meet only at the
top: between them (the river) there is no bridge. A 幸福院 20 m west of the west road at y = 50;
a household 20 m east of the east road (440 m away in a straight line, ≈ 10.3 km by road) and
one beside the west road 750 m further north (≈ 790 m by road).
"""

from __future__ import annotations

from sqlalchemy import text

from layers.coverage.refresh import refresh, status
from layers.coverage.selection import Selection
from tests.utils.coverage import add_care, add_household, add_road, covered_ids, make_units, river_case


def test_river_without_bridge_network_much_longer_than_straight_line(conn):
    ids = river_case(conn)
    refresh(conn, force=True)
    euclidean = covered_ids(conn, Selection.parse("day_care"))
    walking = covered_ids(conn, Selection.parse("day_care", method="network", mode="walking"))
    assert {ids["across"], ids["along"]} <= euclidean
    assert ids["along"] in walking and ids["across"] not in walking
    area = conn.execute(text("SELECT access_m, edge_fraction, ST_Area(ST_Transform(geom, 4550)) FROM "
                             "coverage_service_areas WHERE facility_id = :id AND mode = 'walking'"),
                        {"id": ids["facility"]}).one()
    assert abs(area[0] - 20.0) < 1e-6
    assert 0 < area[2] < 1000 * 250  # a corridor along the west road, not a disc


def test_a_bridge_brings_the_household_in(conn):
    ids = river_case(conn)
    add_road(conn, (0, 60), (400, 60))  # a footbridge 10 m north of both
    refresh(conn, force=True)
    walking = covered_ids(conn, Selection.parse("day_care", method="network", mode="walking"))
    assert ids["across"] in walking  # 20 + 10 + 400 + 10 + 20 = 460 m


def test_network_distance_exactness_at_the_radius(conn):
    """Along one straight road: facility on the road, households 999 m and 1,001 m along it, 0 m off."""
    make_units(conn)
    add_road(conn, (0, -3000), (0, 3000))
    add_care(conn, 0, 0)
    inside = add_household(conn, 0, 999)
    outside = add_household(conn, 0, -1001)
    refresh(conn, force=True)
    walking = covered_ids(conn, Selection.parse("day_care", method="network"))
    assert inside in walking and outside not in walking


def test_walkers_do_not_use_expressways(conn):
    make_units(conn)
    add_road(conn, (0, 0), (0, 900), road_class="expressway")
    add_road(conn, (0, 900), (0, 1000))
    add_road(conn, (0, -100), (0, 0))
    add_care(conn, 5, -20)
    far = add_household(conn, 5, 950)  # driving 5 + 20 + 900 + 50 + 5 = 980 m
    refresh(conn, force=True)
    assert far in covered_ids(conn, Selection.parse("day_care", method="network", mode="driving"))
    assert far not in covered_ids(conn, Selection.parse("day_care", method="network", mode="walking"))


def test_dirty_markers_follow_edits_and_refresh_clears_them(conn):
    river_case(conn)
    refresh(conn, force=True)
    assert status(conn)["dirty"] == {}
    add_care(conn, 100, 100, name="新幸福院")
    assert set(status(conn)["dirty"]) == {"care_facilities"}
    detail = refresh(conn)
    assert detail["status"] == "refreshed" and "edges" not in detail and "care_facilities" in detail
    assert refresh(conn) == {"status": "clean"}
    add_road(conn, (0, 60), (400, 60))
    assert set(status(conn)["dirty"]) == {"roads"}
    assert "edges" in refresh(conn)
