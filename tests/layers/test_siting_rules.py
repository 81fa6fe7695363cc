"""Rule sets: the shipped default (DOMAIN.md §5), legal floors, versioning."""

from __future__ import annotations

import pytest

from layers.errors import InvalidInput, VersionConflict
from layers.roles import Actor
from layers.siting.rules import all_keys, create_rule_set, create_version, get_rule_set, list_versions

PLANNER = Actor("funeral_planner", frozenset({"funeral_planner"}))


def test_default_rule_set_is_seeded_with_domain_values(conn):
    default = get_rule_set(conn)
    assert default.is_default and default.version == 1
    distances = {r.key: r.distance_m for r in default.rules}
    assert [r.key for r in default.rules] == all_keys()
    assert distances == {
        "highway.expressway": 500, "highway.national": 500, "highway.provincial": 500, "highway.county": 200,
        "highway.township": 5, "railway.high_speed": 500, "railway.conventional": 500, "river_embankment": 300,
        "basic_farmland": 0, "cultivated_land": 0, "forest_land": 0, "urban_planning": 0, "urban_park": 0,
        "scenic_area": 2000, "nature_reserve": 2000, "water_source": 2000, "heritage_site": 2000}
    # the values with no source (or only "某省") are local parameters: advisory, and they say so
    local = {r.key for r in default.rules if r.grade == "local"}
    assert local == {"highway.county", "river_embankment", "urban_planning"}
    assert all(not r.hard and r.basis.startswith("地方参数，来源：") for r in default.rules if r.key in local)
    assert all(r.hard and r.basis for r in default.rules if r.key not in local)
    assert {r.grade for r in default.rules} == {"law", "default", "local"}


@pytest.mark.parametrize(("cls", "floor"), [("expressway", 30), ("national", 20), ("provincial", 15),
                                            ("county", 10), ("township", 5)])
def test_highway_rule_below_the_legal_floor_is_refused(conn, cls, floor):
    default = get_rule_set(conn)
    with pytest.raises(InvalidInput, match="legal floor") as refused:
        create_version(conn, default.id, [{"constraint": "highway", "class": cls, "distance_m": floor - 0.5}],
                       default.version, PLANNER)
    assert "法定下限" in refused.value.message and "公路安全保护条例" in refused.value.message
    edited = create_version(conn, default.id, [{"constraint": "highway", "class": cls, "distance_m": floor}],
                            default.version, PLANNER)
    assert {r.key: r.distance_m for r in edited.rules}[f"highway.{cls}"] == floor


@pytest.mark.parametrize(("cls", "floor"), [("high_speed", 20), ("conventional", 15)])
def test_railway_rule_below_the_legal_floor_is_refused(conn, cls, floor):
    default = get_rule_set(conn)
    with pytest.raises(InvalidInput, match="legal floor") as refused:
        create_version(conn, default.id, [{"constraint": "railway", "class": cls, "distance_m": floor - 1}],
                       default.version, PLANNER)
    assert "铁路安全管理条例" in refused.value.message


def test_editing_creates_a_new_version_and_keeps_the_old(conn):
    default = get_rule_set(conn)
    v2 = create_version(conn, default.id, [{"constraint": "highway", "class": "county", "distance_m": 300,
                                            "basis": "测试"}], default.version, PLANNER, note="县道 300 米")
    assert v2.version == default.version + 1
    assert {r.key: r.distance_m for r in v2.rules}["highway.county"] == 300
    assert {r.key: r.distance_m for r in get_rule_set(conn, default.id, 1).rules}["highway.county"] == 200
    assert [v["version"] for v in list_versions(conn, default.id)][-2:] == [1, 2]
    with pytest.raises(VersionConflict):
        create_version(conn, default.id, [], default.version, PLANNER)


@pytest.mark.parametrize("bad", [
    [{"constraint": "cemetery", "distance_m": 1, "basis": "x"}],
    [{"constraint": "highway", "class": "motorway", "distance_m": 600}],
    [{"constraint": "basic_farmland", "class": "x", "distance_m": 0}],
    [{"constraint": "scenic_area", "distance_m": -1}],
    [{"constraint": "scenic_area", "distance_m": "far"}],
    [{"constraint": "scenic_area", "basis": ""}],
    [{"constraint": "scenic_area", "hard": "yes"}],
])
def test_invalid_rules_are_refused(conn, bad):
    default = get_rule_set(conn)
    with pytest.raises(InvalidInput):
        create_version(conn, default.id, bad, default.version, PLANNER)


def test_new_rule_set_must_be_complete(conn):
    with pytest.raises(InvalidInput, match="missing rules"):
        create_rule_set(conn, "不完整", None, PLANNER, rules=[
            {"constraint": "scenic_area", "distance_m": 1000, "basis": "x"}], copy_of=None)
    copy = create_rule_set(conn, "严格", None, PLANNER, rules=[{"constraint": "scenic_area", "distance_m": 3000}],
                           copy_of=get_rule_set(conn).id)
    assert copy.version == 1 and {r.key: r.distance_m for r in copy.rules}["scenic_area"] == 3000
