"""The deterministic Haicheng demo dataset (issue 4)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from sqlalchemy import text

from importers.demo.common import DEMO_DATA, SOURCE
from importers.demo.dataset import TABLE_ORDER
from importers.demo.households import fictitious_id_number, id_check_char
from importers.demo.loader import load_demo
from layers.errors import Conflict
from layers.features import set_actor
from layers.roles import Actor

POLYGON_LAYERS = ["townships", "villages", "basic_farmland", "cultivated_land", "forest_land", "urban_parks",
                  "urban_planning_zones", "scenic_areas", "nature_reserves", "water_source_zones", "heritage_sites",
                  "cemeteries"]


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_loads_in_under_two_minutes_with_progress(demo_load):
    _, counts, seconds, lines = demo_load
    assert seconds < 120
    assert any("households" in line and "30000" in line for line in lines)
    assert counts["households"] == 30000


def test_partition_is_exact(demo_engine):
    county = json.loads((DEMO_DATA.parent / "haicheng" / "boundary.geojson").read_text(encoding="utf-8"))
    geometry = json.dumps(county["features"][0]["geometry"])
    with demo_engine.connect() as conn:
        outline, union, diff = conn.execute(text(
            "WITH c AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4490), 4550) g), "
            "u AS (SELECT ST_Transform(ST_Union(geom), 4550) g FROM villages WHERE source = 'demo') "
            "SELECT ST_Area(c.g), ST_Area(u.g), ST_Area(ST_SymDifference(c.g, u.g)) FROM c, u"),
            {"g": geometry}).one()
        assert abs(union - outline) / outline < 0.001
        assert diff / outline < 0.001
        overlap = conn.execute(text(
            "SELECT coalesce(sum(ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4550))), 0) "
            "FROM villages a JOIN villages b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom) "
            "WHERE a.source = 'demo' AND b.source = 'demo'")).scalar_one()
        assert overlap < 1.0  # m², i.e. only rounding on shared edges
        outside = conn.execute(text(
            "SELECT count(*) FROM villages v JOIN townships t ON t.code = v.township_code "
            "WHERE v.source = 'demo' AND ST_Area(ST_Transform(ST_Difference(v.geom, t.geom), 4550)) > 1")).scalar_one()
        assert outside == 0
        assert conn.execute(text("SELECT count(*) FROM villages WHERE source = 'demo' AND NOT ST_IsValid(geom)")
                            ).scalar_one() == 0


def test_every_feature_lies_inside_the_county(demo_engine):
    with demo_engine.connect() as conn:
        for table in TABLE_ORDER:
            n = conn.execute(text(
                f"WITH c AS (SELECT ST_Buffer(ST_Union(geom), 0.00001) g FROM villages WHERE source = 'demo') "
                f"SELECT count(*) FROM {table} t, c WHERE t.source = 'demo' AND NOT ST_Within(t.geom, c.g)")
            ).scalar_one()
            assert n == 0, table


@pytest.mark.parametrize(("table", "where", "expected"), [
    ("townships", "", 26), ("villages", "", 435),
    ("place_names", "", 5600), ("place_name_signs", "", 400),
    ("boundary_markers", "", 60), ("shelters", "", 33),
    ("care_facilities", "facility_type = 'happiness_home'", 144),
    ("care_facilities", "facility_type = 'regional_center'", 3),
    ("care_facilities", "facility_type = 'private_home'", 20),
    ("care_facilities", "facility_type = 'nursing_home'", 21),
    ("community_service_centers", "", 24),
    ("scattered_graves", "", 3000), ("households", "", 30000),
])
def test_counts_match_the_issue(demo_engine, table, where, expected):
    n = scalar(demo_engine, f"SELECT count(*) FROM {table} WHERE source = 'demo' {'AND ' + where if where else ''}")
    assert abs(n - expected) <= expected * 0.1


def test_roads_rails_rivers_and_named_sites(demo_engine):
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM roads WHERE source = 'demo'")).scalar_one() >= 1000
        codes = set(conn.execute(text("SELECT DISTINCT road_code FROM roads WHERE road_class = 'expressway'"))
                    .scalars())
        assert codes == {"G15", "G16"}
        assert set(conn.execute(text("SELECT name FROM railways")).scalars()) == {"沈大铁路", "哈大高铁"}
        assert {"海城河", "五道河"} <= set(conn.execute(text("SELECT name FROM rivers")).scalars())
        heritage = set(conn.execute(text("SELECT name FROM heritage_sites")).scalars())
        assert {"析木城石棚", "仙人洞遗址"} <= heritage
        row = conn.execute(text("SELECT area_m2, plots_total, village_code FROM cemeteries "
                                "WHERE cemetery_type = 'columbarium'")).one()
        assert row == (5000.0, 8000, "210381003006")  # 东响社区, 响堂街道
        served = conn.execute(text("SELECT count(DISTINCT village_code) FROM cemeteries "
                                   "WHERE status = 'existing'")).scalar_one()
        assert 150 <= served <= 300


def test_households_in_settlements_and_some_outside_every_radius(demo_engine):
    with demo_engine.connect() as conn:
        in_farmland = conn.execute(text(
            "SELECT count(*) FROM households h WHERE EXISTS (SELECT 1 FROM basic_farmland f "
            "WHERE ST_Intersects(f.geom, h.geom))")).scalar_one()
        assert in_farmland == 0
        uncovered = conn.execute(text(
            "SELECT count(*) FROM households h WHERE NOT EXISTS (SELECT 1 FROM care_facilities c "
            "WHERE c.service_radius_m IS NOT NULL "
            "AND ST_DWithin(c.geom::geography, h.geom::geography, c.service_radius_m))"
        )).scalar_one()
        assert uncovered > 1000
        fake = conn.execute(text("SELECT count(*) FROM households WHERE phone NOT LIKE '0000-0000-%'")).scalar_one()
        assert fake == 0


def test_markers_due_for_inspection_and_historical_names(demo_engine):
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM boundary_markers m JOIN boundary_lines l ON l.id = m.line_id "
                                 "WHERE l.next_inspection_date < DATE '2025-01-01'")).scalar_one() > 0
        broken = conn.execute(text("SELECT count(*) FROM place_names h LEFT JOIN place_names c "
                                   "ON c.id = h.replaced_by_id WHERE h.status = 'historical' AND c.id IS NULL")
                              ).scalar_one()
        assert broken == 0
        assert conn.execute(text("SELECT count(*) FROM place_names WHERE status = 'historical'")).scalar_one() > 20
        # 同号双立: every pair has both markers, A and B, on one line, kept by the two sides
        pairs = conn.execute(text(
            "SELECT a.number, b.number, a.managing_side <> b.managing_side, "
            "round(ST_Distance(ST_Transform(a.geom, 4550), ST_Transform(b.geom, 4550))) "
            "FROM boundary_markers a JOIN boundary_markers b ON b.line_id = a.line_id "
            "AND b.number = left(a.number, 3) || 'B' WHERE a.marker_type = 'double' AND a.number LIKE '%A'")).all()
        doubles = conn.execute(text("SELECT count(*) FROM boundary_markers WHERE marker_type = 'double'")).scalar_one()
        assert pairs and doubles == 2 * len(pairs)
        assert all(other_side and 5 <= metres <= 7 for _, _, other_side, metres in pairs), pairs  # 7 m along the line
        assert conn.execute(text("SELECT count(*) FROM place_names WHERE length(code) <> 20")).scalar_one() == 0


def test_candidate_sites_file_names_one_failing_rule_each():
    data = json.loads((DEMO_DATA / "candidate_sites.geojson").read_text(encoding="utf-8"))
    rules = [f["properties"]["expected_failing_rule"] for f in data["features"]]
    assert rules.count(None) >= 3
    assert {"expressway", "railway", "embankment", "basic_farmland", "urban_planning", "scenic_area",
            "nature_reserve", "water_source", "heritage"} <= set(rules)


def _content(engine):
    """Every demo row without timestamps (ids are deterministic, so they compare too)."""
    out = {}
    with engine.connect() as conn:
        for table in TABLE_ORDER:
            out[table] = conn.execute(text(
                f"SELECT md5(string_agg(md5((to_jsonb(t) - 'created_at' - 'updated_at' - 'geom')::text "
                f"|| ST_AsEWKB(t.geom)::text), ',' ORDER BY t.id)) FROM {table} t WHERE source = 'demo'")).scalar_one()
    return out


def test_reload_gives_identical_rows_and_keeps_other_rows(demo_engine):
    before = _content(demo_engine)
    with demo_engine.begin() as conn:
        set_actor(conn, Actor("tester"), "not demo")
        user_id = conn.execute(text("INSERT INTO shelters (name, shelter_type, geom) VALUES "
                                    "('用户避难场所', 'emergency', ST_SetSRID(ST_Point(122.7, 40.9), 4490)) "
                                    "RETURNING id")).scalar_one()
        conn.execute(text("UPDATE shelters SET capacity = 10 WHERE id = :id"), {"id": user_id})
    history = scalar(demo_engine, "SELECT count(*) FROM feature_history WHERE layer = 'shelters' AND feature_id = :i",
                     i=user_id)
    assert history == 2
    skipped: list[str] = []
    load_demo(demo_engine, echo=skipped.append)
    assert any("未重新加载" in line for line in skipped)
    load_demo(demo_engine, echo=lambda _: None, force=True)
    assert _content(demo_engine) == before
    assert scalar(demo_engine, "SELECT capacity FROM shelters WHERE id = :i", i=user_id) == 10
    assert scalar(demo_engine, "SELECT source FROM shelters WHERE id = :i", i=user_id) == "user"
    assert scalar(demo_engine, "SELECT count(*) FROM feature_history WHERE layer = 'shelters' AND feature_id = :i",
                  i=user_id) == history
    # the history of demo rows is one insert row per current demo row: earlier loads left nothing behind
    demo_history = scalar(demo_engine, "SELECT count(*) FROM feature_history WHERE changed_by = 'demo-loader'")
    assert demo_history == scalar(
        demo_engine, "SELECT " + " + ".join(f"(SELECT count(*) FROM {t} WHERE source = 'demo')" for t in TABLE_ORDER))
    assert scalar(demo_engine, "SELECT count(*) FROM feature_history WHERE operation = 'delete' "
                  "AND changed_by = 'demo-loader'") == 0


def test_a_reload_refuses_to_delete_demo_rows_that_user_records_point_to(demo_engine):
    before = _content(demo_engine)
    with demo_engine.begin() as conn:
        line_id = conn.execute(text("SELECT min(id) FROM boundary_lines WHERE source = 'demo'")).scalar_one()
        campaign = conn.execute(text("INSERT INTO inspection_campaigns (name, year, tolerance_m) "
                                     "VALUES ('用户联检任务', 2026, 1.0) RETURNING id")).scalar_one()
        conn.execute(text("INSERT INTO inspection_campaign_lines (campaign_id, line_id) VALUES (:c, :l)"),
                     {"c": campaign, "l": line_id})
    try:
        with pytest.raises(Conflict) as refused:
            load_demo(demo_engine, echo=lambda _: None, force=True)
        assert "不能重新加载示例数据：表 boundary_lines 中的示例记录仍被其他记录引用" in refused.value.message
        assert f"({line_id})" in refused.value.message and "inspection_campaign_lines" in refused.value.message
        assert _content(demo_engine) == before  # nothing deleted, nothing loaded
    finally:
        with demo_engine.begin() as conn:
            conn.execute(text("DELETE FROM inspection_campaigns WHERE id = :c"), {"c": campaign})


def test_every_row_is_labelled(demo_engine):
    with demo_engine.connect() as conn:
        for table in TABLE_ORDER:
            assert conn.execute(text(f"SELECT count(*) FROM {table} WHERE source <> :s AND created_by = 'demo-loader'"),
                                {"s": SOURCE}).scalar_one() == 0


def test_fictitious_id_numbers_have_valid_check_characters():
    rng = np.random.default_rng(7)
    for year in (1940, 1975, 2012):
        number = fictitious_id_number(rng, date(year, 5, 17))
        assert number.startswith(f"210381{year}0517")
        assert id_check_char(number[:17]) == number[17]
    assert id_check_char("11010519491231002") == "X"


def test_a_load_is_one_audit_entry_not_one_per_row(demo_engine):
    with demo_engine.connect() as conn:
        actions = dict(conn.execute(text("SELECT action, count(*) FROM audit_log WHERE username = 'demo-loader' "
                                         "GROUP BY action")).all())
    assert actions.get("insert", 0) == 0
    assert actions["bulk_load"] >= 1


CANDIDATE_RULES = {"expressway": {"highway.expressway"}, "national_road": {"highway.national"},
                   "provincial_road": {"highway.provincial"}, "county_road": {"highway.county"},
                   "township_road": {"highway.township"},
                   "railway": {"railway.high_speed", "railway.conventional"}, "embankment": {"river_embankment"},
                   "basic_farmland": {"basic_farmland"}, "urban_planning": {"urban_planning"},
                   "cultivated_land": {"cultivated_land"}, "forest_land": {"forest_land"},
                   "urban_park": {"urban_park"},
                   "scenic_area": {"scenic_area"}, "nature_reserve": {"nature_reserve"},
                   "water_source": {"water_source"}, "heritage": {"heritage_site"}}


def test_candidate_sites_pass_or_fail_exactly_their_rule_in_the_siting_engine(demo_engine):
    from shapely.geometry import shape

    from layers.siting.check import check_site
    from layers.siting.rules import get_rule_set

    data = json.loads((DEMO_DATA / "candidate_sites.geojson").read_text(encoding="utf-8"))
    with demo_engine.connect() as conn:
        rule_set = get_rule_set(conn)
        for feature in data["features"]:
            expected = feature["properties"]["expected_failing_rule"]
            report = check_site(conn, shape(feature["geometry"]), rule_set)
            name = feature["properties"]["name"]
            if expected is None:
                assert report["compliant"], (name, report["violations"])
            else:
                assert len(report["violations"]) == 1, (name, report["violations"])
                assert set(report["violations"]) <= CANDIDATE_RULES[expected], (name, report["violations"])


def test_article_10_land_grave_kinds_and_service_agreements(demo_engine):
    with demo_engine.connect() as conn:
        def km2(table):
            return conn.execute(text(f"SELECT sum(ST_Area(ST_Transform(geom, 4550))) / 1e6 FROM {table} "
                                     "WHERE source = 'demo'")).scalar_one()
        plain = km2("basic_farmland") + km2("cultivated_land")
        assert plain > 600 and km2("forest_land") > 500  # most of the plain is farmed; the hills are wooded
        assert conn.execute(text("SELECT count(*) FROM urban_parks WHERE name LIKE '%示例数据%'")).scalar_one() == 4
        kinds = dict(conn.execute(text("SELECT kind, count(*) FROM scattered_graves GROUP BY kind")).all())
        assert set(kinds) == {"scattered", "hardened", "living_person"} and min(kinds.values()) > 50
        agreed = conn.execute(text("SELECT count(*) FROM cemeteries WHERE serves_villages IS NOT NULL "
                                   "AND service_agreement LIKE '海民殡协%'")).scalar_one()
        assert agreed > 20
