"""《殡葬管理条例》 Art. 10 in full: cultivated land, forest land and city parks are statutory bans with layers of
their own; a rule with no source is a local parameter, never a hard ban; migration 0019 brings stored rule
sets there. Also the kinds of scattered grave the remediation plan names."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from layers.catalog import registry
from layers.errors import InvalidInput
from layers.roles import Actor
from layers.siting import graves, suitable
from layers.siting.check import check_site
from layers.siting.report import build_site_report
from layers.siting.rules import FORBIDDEN_INSIDE, create_version, get_rule_set
from tests.utils.siting import by_rule, insert, rect, to_lonlat, village, zone
from tests.utils.siting import pt as point_at

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))
T = "210381190"
ART10 = {"cultivated_land": ("cultivated_land", "耕地", "第十条第（一）项"),
         "forest_land": ("forest_land", "林地", "第十条第（一）项"),
         "urban_park": ("urban_parks", "城市公园", "第十条第（二）项")}


def test_the_new_land_kinds_are_layers_in_the_registry():
    for constraint, (layer, title, _) in ART10.items():
        spec = registry().get(layer)
        assert spec is not None and spec.title == title and spec.theme == "三沿六区约束"
        assert constraint in FORBIDDEN_INSIDE


@pytest.mark.parametrize("constraint", list(ART10))
def test_a_site_inside_is_a_hard_violation_with_its_article(conn, constraint):
    _, title, article = ART10[constraint]
    zone(conn, constraint, rect(-100, -100, 100, 100), name=f"示例{title}")
    report = check_site(conn, to_lonlat(rect(-10, -10, 30, 10)), get_rule_set(conn))
    result = by_rule(report)[constraint]
    assert (result["inside"], result["violated"], result["hard"], result["grade"]) == (True, True, True, "law")
    assert result["overlap_area_m2"] == pytest.approx(800.0, abs=0.5)
    assert f"《殡葬管理条例》{article}" in result["basis"]
    assert report["compliant"] is False and report["violations"] == [constraint]
    rows = [r for b in build_site_report(report, None).blocks if b.kind == "table" for r in b.rows]
    assert [title, "区内禁止", "位于区内（重叠 800.0 平方米）", f"示例{title}（{title} #{result['nearest']['id']}）",
            "不符合"] in rows


def test_an_advisory_version_still_may_not_site_in_forest_land(conn):
    default = get_rule_set(conn)
    edited = create_version(conn, default.id, [{"constraint": "forest_land", "hard": False}], default.version,
                            PLANNER)
    zone(conn, "forest_land", rect(-100, -100, 100, 100))
    result = by_rule(check_site(conn, to_lonlat(point_at(0, 0)), edited))["forest_land"]
    assert (result["legal_floor_m"], result["below_legal_floor"], result["hard"]) == (0.0, True, True)


def test_suitable_land_leaves_out_cultivated_land_forest_and_parks(conn):
    village(conn, T + "201", rect(0, 0, 3000, 1000))
    zone(conn, "cultivated_land", rect(0, 0, 1500, 1000))
    zone(conn, "forest_land", rect(2000, 0, 3000, 1000))
    zone(conn, "urban_park", rect(1500, 800, 2000, 1000))
    found = suitable.suitable_land(conn, get_rule_set(conn), village=T + "201", min_area_m2=1)
    assert [f["properties"]["area_m2"] for f in found["features"]] == [pytest.approx(500 * 800, rel=1e-4)]


@pytest.mark.parametrize("basis", ["本项目默认值（无出处）", "300 米取自某省《殡葬管理办法》"])
def test_a_hard_rule_without_a_source_is_refused(conn, basis):
    default = get_rule_set(conn)
    with pytest.raises(InvalidInput, match="cannot be hard") as refused:
        create_version(conn, default.id, [{"constraint": "scenic_area", "distance_m": 3000, "basis": basis,
                                           "hard": True}], default.version, PLANNER)
    assert "只能作为地方参数" in refused.value.message and refused.value.details["rule"] == "scenic_area"
    with pytest.raises(InvalidInput, match="cannot be hard"):
        create_version(conn, default.id, [{"constraint": "highway", "class": "county", "hard": True}],
                       default.version, PLANNER)  # the shipped county-road value is a local parameter


def test_a_local_parameter_says_so(conn):
    default = get_rule_set(conn)
    edited = create_version(conn, default.id, [{"constraint": "scenic_area", "distance_m": 3000, "hard": False,
                                                "grade": "local", "basis": "民政局 2026 年会议纪要"}],
                            default.version, PLANNER)
    rule = next(r for r in edited.rules if r.key == "scenic_area")
    assert (rule.hard, rule.grade, rule.basis) == (False, "local", "地方参数，来源：民政局 2026 年会议纪要")


def _migration():
    path = Path(__file__).resolve().parents[2] / "gis_server" / "migrations" / "versions" / "0019_siting_law.py"
    spec = importlib.util.spec_from_file_location("migration_0019", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0019_corrects_a_stored_rule_set(conn):
    """A rule set stored before: the three Art. 10 rules added, the sourceless hard rules made advisory."""
    old = [{"constraint": "highway", "class": "county", "distance_m": 200, "hard": True, "grade": "default",
            "basis": "本项目默认值（无出处）；不得低于《公路安全保护条例》第十一条县道建筑控制区 10 米。"},
           {"constraint": "scenic_area", "class": None, "distance_m": 1000, "hard": True, "grade": "default",
            "basis": "取自某市规定"},
           {"constraint": "water_source", "class": None, "distance_m": 2000, "hard": True, "grade": "default",
            "basis": "山东省实践"}]
    set_id = conn.execute(text("INSERT INTO siting_rule_sets (name) VALUES ('旧规则集') RETURNING id")).scalar_one()
    conn.execute(text("INSERT INTO siting_rule_set_versions (rule_set_id, version, rules) "
                      "VALUES (:id, 1, CAST(:rules AS jsonb))"), {"id": set_id, "rules": json.dumps(old)})
    migration = _migration()

    class Op:  # what the migration's data step needs of alembic's op
        @staticmethod
        def get_bind():
            return conn

    migration.op = Op
    migration.migrate_rule_sets()
    stored = get_rule_set(conn, set_id)
    rules = {r.key: r for r in stored.rules}
    assert stored.version == 2 and stored.note.startswith("《殡葬管理条例》第十条")
    assert (rules["highway.county"].hard, rules["highway.county"].grade) == (False, "local")
    assert rules["highway.county"].basis.startswith("地方参数，来源：本项目默认值，未查到出处")
    assert (rules["scenic_area"].hard, rules["scenic_area"].basis) == (False, "地方参数，来源：取自某市规定")
    assert rules["water_source"].hard and rules["water_source"].basis == "山东省实践"
    assert {k for k in rules} >= {"cultivated_land", "forest_land", "urban_park"}
    assert all(rules[k].hard and rules[k].distance_m == 0 for k in ("cultivated_land", "forest_land", "urban_park"))
    migration.migrate_rule_sets()  # nothing left to change: no third version
    assert get_rule_set(conn, set_id).version == 2


def test_the_remediation_list_groups_graves_by_kind(conn):
    village(conn, T + "201", rect(-5000, -5000, 5000, 5000))
    zone(conn, "cultivated_land", rect(-1000, -1000, 1000, 1000))
    made = {}
    for kind, x, count in [("living_person", 10, 1), ("scattered", 20, 2), ("hardened", 30, 1),
                           ("scattered", 40, 3), ("hardened", 4000, 1)]:
        made.setdefault(kind, []).append(insert(conn, "scattered_graves", point_at(x, 0), grave_count=count,
                                                kind=kind)[0])
    classified = graves.classify(conn, get_rule_set(conn), village=T + "201")
    assert graves.summary(classified)["by_kind"] == {"scattered": 2, "hardened": 2, "living_person": 1}
    rows = graves.remediation(classified)
    assert [r["kind_title"] for r in rows] == ["散埋乱葬", "散埋乱葬", "硬化大墓", "硬化大墓", "活人墓"]
    assert [r["priority"] for r in rows] == [1, 1, 1, 2, 1]  # the grave 4 km out is in no 三沿六区
    groups = graves.remediation_groups(rows)
    assert [(g["title"], g["sites"], g["graves"]) for g in groups] == [("散埋乱葬", 2, 5), ("硬化大墓", 2, 2),
                                                                      ("活人墓", 1, 1)]
    assert [r["grave_id"] for r in groups[2]["rows"]] == made["living_person"]

