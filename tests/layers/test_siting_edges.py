"""Roads and railways are measured from the edge of their land, as the law measures (《公路安全保护条例》 Art. 11:
from the outer edge of the highway's land; 《铁路安全管理条例》 Art. 27: from the embankment toe), not from the
centreline: site checks, graves, suitable land and the report."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from formats.documents import to_html
from layers.roles import Actor
from layers.siting.check import check_site
from layers.siting.graves import classify
from layers.siting.report import build_site_report
from layers.siting.rules import create_version, get_rule_set
from layers.siting.suitable import suitable_land
from tests.utils.siting import by_rule, railway, rect, road, seg, to_lonlat, to_metric, village
from tests.utils.siting import pt as point_at

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))


def advisory(conn, constraint, cls):
    """The default rule set with one rule made advisory: only the legal floor still binds."""
    default = get_rule_set(conn)
    return create_version(conn, default.id, [{"constraint": constraint, "class": cls, "hard": False}],
                          default.version, PLANNER)


def test_a_site_31_m_from_an_expressway_centreline_fails_the_30_m_floor(conn):
    road(conn, seg((31, -2000), (31, 2000)), "expressway")
    report = check_site(conn, to_lonlat(point_at(0, 0)), advisory(conn, "highway", "expressway"))
    result = by_rule(report)["highway.expressway"]
    # 31 m to the centreline − 28 m / 2 (26 m roadbed + 1 m highway land each side) = 17 m to the land's edge
    assert (result["centreline_distance_m"], result["width_m"], result["distance_m"]) == (31.0, 28.0, 17.0)
    assert result["width_source"] == "default" and "JTG B01-2014" in result["width_basis"]
    assert "《公路法》第三十四条" in result["width_basis"]
    assert (result["legal_floor_m"], result["below_legal_floor"], result["hard"]) == (30.0, True, True)
    assert report["compliant"] is False


def test_a_recorded_width_replaces_the_class_default(conn):
    road(conn, seg((75, -2000), (75, 2000)), "national", width_m=40.0)
    report = check_site(conn, to_lonlat(point_at(0, 0)), advisory(conn, "highway", "national"))
    result = by_rule(report)["highway.national"]
    assert (result["centreline_distance_m"], result["width_m"], result["distance_m"]) == (75.0, 40.0, 55.0)
    assert (result["width_source"], result["width_basis"]) == ("feature", "要素记录的用地宽度")
    assert result["below_legal_floor"] is False


def test_a_high_speed_railway_is_measured_from_its_formation_edge(conn):
    railway(conn, seg((-2000, 26), (2000, 26)), "high_speed")  # 26 − 13.6 / 2 = 19.2 m: inside the 20 m strip
    report = check_site(conn, to_lonlat(point_at(0, 0)), advisory(conn, "railway", "high_speed"))
    result = by_rule(report)["railway.high_speed"]
    assert (result["centreline_distance_m"], result["distance_m"]) == (26.0, 19.2)
    assert result["below_legal_floor"] and report["compliant"] is False


def test_the_nearest_edge_may_belong_to_a_farther_centreline(conn):
    """A narrow road 60 m away (edge 55 m) and a 100 m wide one 80 m away (edge 30 m): the wide one is nearest."""
    road(conn, seg((60, -2000), (60, 2000)), "expressway", "窄", width_m=10.0)
    wide_id, _ = road(conn, seg((-80, -2000), (-80, 2000)), "expressway", "宽", width_m=100.0)
    result = by_rule(check_site(conn, to_lonlat(point_at(0, 0)), get_rule_set(conn)))["highway.expressway"]
    assert result["nearest"]["id"] == wide_id
    assert (result["distance_m"], result["centreline_distance_m"]) == (30.0, 80.0)


def test_a_site_on_the_road_land_is_at_0_m_never_negative(conn):
    road(conn, seg((4, -100), (4, 100)), "township")  # 4 m from the centreline, inside its 8.5 m wide land
    result = by_rule(check_site(conn, to_lonlat(point_at(0, 0)), get_rule_set(conn)))["highway.township"]
    assert (result["distance_m"], result["centreline_distance_m"], result["violated"]) == (0.0, 4.0, True)


def test_graves_are_measured_from_the_edge_too(conn):
    road(conn, seg((31, -2000), (31, 2000)), "expressway")
    grave = to_lonlat(point_at(0, 0))
    conn.execute(text("INSERT INTO scattered_graves (grave_count, geom) "
                      "VALUES (1, ST_SetSRID(ST_Point(:x, :y), 4490))"), {"x": grave.x, "y": grave.y})
    rules = advisory(conn, "highway", "expressway")
    [found] = classify(conn, rules)
    [violation] = [v for v in found["violations"] if v["rule"] == "highway.expressway"]
    assert (violation["distance_m"], violation["hard"], violation["inside_by_m"]) == (17.0, True, 483.0)


def test_suitable_land_keeps_the_rule_distance_from_the_edge(conn):
    """A village 2 km wide with an expressway on its west edge: land within 500 m of the road's land (514 m of
    its centreline) is blocked, so 2,000 − 514 = 1,486 m of width stays suitable."""
    village(conn, "210381100201", rect(0, 0, 2000, 1000))
    road(conn, seg((0, -3000), (0, 4000)), "expressway")
    found = suitable_land(conn, get_rule_set(conn), village="210381100201", min_area_m2=0)
    [piece] = found["features"]
    from shapely.geometry import shape

    assert to_metric(shape(piece["geometry"])).bounds[0] == pytest.approx(to_metric(to_lonlat(point_at(514, 0))).x,
                                                                          abs=0.5)
    assert piece["properties"]["area_m2"] == pytest.approx(1486 * 1000, rel=0.002)


def test_the_report_shows_both_figures(conn):
    road(conn, seg((31, -2000), (31, 2000)), "expressway")
    report = check_site(conn, to_lonlat(point_at(0, 0)), get_rule_set(conn))
    document = build_site_report(report, None)
    cells = [cell for block in document.blocks if block.kind == "table" for row in block.rows for cell in row]
    assert "距用地边缘 17.0 米（距中心线 31.0 米，宽 28 米）" in cells
    assert any("默认宽度 28 米 = 路基 26 米 + 两侧各 1 米" in str(cell) for cell in cells)
    html = to_html(document)
    assert "距用地边缘 17.0 米（距中心线 31.0 米，宽 28 米）" in html


@pytest.mark.parametrize("width", [0, -3, 200.5])
def test_a_width_outside_0_to_200_m_is_refused_by_the_database(conn, width):
    with pytest.raises(IntegrityError, match="width_m_range"):
        with conn.begin_nested():
            road(conn, seg((0, 0), (10, 0)), "county", width_m=width)
