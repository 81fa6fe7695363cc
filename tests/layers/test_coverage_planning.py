"""Where to build next (MCLP, a case where greedy is wrong), shelters, care capacity, officers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from layers.coverage import care, child_welfare, shelters
from layers.coverage.suggest import solve, suggest
from layers.errors import InvalidInput
from layers.roles import Actor
from tests.utils.coverage import (
    TOWNSHIP,
    VILLAGE,
    add_care,
    add_household,
    lonlat,
    make_units,
    point_sql,
)


def greedy_trap(conn) -> list[list[float]]:
    """Households on a line: L1 ×3 at 0 m, L2 ×4 at 1,800, R2 ×4 at 2,600, R1 ×3 at 4,400.
    Candidates (radius 1,000): B at 900 covers L1+L2 (7), A at 2,200 covers L2+R2 (8), C at 3,500
    covers R2+R1 (7). Greedy takes A then B (11); the optimum for k = 2 is B + C (14)."""
    make_units(conn)
    for x, n in ((0, 3), (1800, 4), (2600, 4), (4400, 3)):
        for i in range(n):
            add_household(conn, x, i * 5.0)
    return [list(lonlat(900, 0)), list(lonlat(2200, 0)), list(lonlat(3500, 0))]


def test_mclp_finds_the_optimum_that_greedy_misses(conn):
    points = greedy_trap(conn)
    result = suggest(conn, {"facility_type": "day_care", "k": 2, "points": points, "radius_m": 1000})
    assert result["uncovered_before"] == 14 and result["covered_after"] == 14
    assert {s["candidate_id"] for s in result["sites"]} == {1, 3}
    assert [s["newly_covered"] for s in result["sites"]] == [7, 7]
    assert result["sites"][0]["newly_covered_by_village"] == {VILLAGE: 7}
    one = suggest(conn, {"facility_type": "day_care", "k": 1, "points": points, "radius_m": 1000})
    assert [(s["candidate_id"], s["newly_covered"]) for s in one["sites"]] == [(2, 8)]


def test_existing_facilities_are_kept_and_their_households_are_not_demand(conn):
    points = greedy_trap(conn)
    add_care(conn, 0, 0)  # covers L1 (3) already
    result = suggest(conn, {"facility_type": "day_care", "k": 1, "points": points, "radius_m": 1000})
    assert result["uncovered_before"] == 11
    assert [(s["candidate_id"], s["newly_covered"]) for s in result["sites"]] == [(2, 8)]


def test_village_centres_as_candidates_and_bad_requests(conn):
    greedy_trap(conn)
    result = suggest(conn, {"facility_type": "day_care", "k": 1})
    assert result["candidates"] == 2 and len(result["sites"]) <= 1
    for body in ({"facility_type": "day_care", "k": 0}, {"facility_type": "nursing_home", "k": 1},
                 {"facility_type": "day_care,emergency", "k": 1},
                 {"facility_type": "day_care", "k": 1, "points": [[0, 0]]}):
        with pytest.raises((InvalidInput, ValidationError)):
            suggest(conn, body)


def test_solve_small_cases():
    assert solve([(1, 1), (2, 1), (2, 2)], 5) == [(2, 2)]  # site 1 would add nothing
    assert solve([(1, 10), (1, 11), (2, 11), (2, 12), (3, 12)], 2) == [(1, 2), (2, 1)]


def test_shelter_capacity_against_people_in_reach(conn):
    make_units(conn)  # 东村 16 × 16 km, 1,000 people; the shelter's 500 m disc covers 0.785 km² of it
    conn.execute(text(f"INSERT INTO shelters (name, shelter_type, usable_area_m2, geom) VALUES "
                      f"('小广场', 'emergency', 3, {point_sql(-8000, 0)}), "
                      f"('大广场', 'emergency', 3000, {point_sql(-8000, 4000)})"))
    conn.execute(text(f"INSERT INTO shelters (name, shelter_type, usable_area_m2, capacity, geom) VALUES "
                      f"('校园', 'emergency', 1500, 5000, {point_sql(-12000, -4000)})"))  # room for 1,000, says 5,000
    add_household(conn, -8000, 100, members=3)
    rows = {r["name"]: r for r in shelters.shelter_capacity(conn)}
    small, big = rows["小广场"], rows["大广场"]
    assert small["capacity"] == 2 and small["capacity_basis"] == "area"
    assert small["population_est"] == 3 and small["over_capacity"] and small["members"] == 3
    assert big["capacity"] == 2000 and not big["over_capacity"] and big["households"] == 0
    assert not big["capacity_overstated"] and not small["capacity_overstated"]
    school = rows["校园"]
    assert (school["capacity"], school["capacity_by_area"], school["capacity_overstated"]) == (5000, 1000, True)
    gaps = shelters.areas_without_shelter(conn)
    assert [f["properties"]["code"] for f in gaps["villages"]["features"]] == ["210381901002"]


def test_central_support_per_township(conn):
    make_units(conn)
    add_care(conn, 0, 0, facility_type="nursing_home", beds=10, residents=7, name="测试敬老院")
    ids = [add_household(conn, 10, 10, categories=("tekun_central",), members=2) for _ in range(3)]
    # demand counts 特困 persons, not members: two households left at 1 (NULL), one with both members 特困
    conn.execute(text("UPDATE households SET special_care_persons = 2 WHERE id = :id"), {"id": ids[0]})
    row = next(r for r in care.central_support_by_township(conn)["rows"] if r["code"] == TOWNSHIP)
    assert (row["beds"], row["residents"], row["free_beds"], row["demand_persons"], row["balance"]) == (10, 7, 3, 4, 6)
    occupancy = care.facility_occupancy(conn, "nursing_home")
    assert occupancy[0]["occupancy"] == 0.7


def test_child_welfare_officers_masked_and_gaps(conn):
    make_units(conn)
    actor = Actor("case_worker", frozenset({"case_worker"}))
    child_welfare.create_officer(conn, {"role": "director", "unit_code": VILLAGE, "name": "赵敏",
                                        "phone": "13912345678"}, actor)
    masked = child_welfare.list_officers(conn, reveal=False)
    assert masked[0]["name"] == "赵*" and masked[0]["phone"] == "139****5678" and masked[0]["unit_name"] == "东村"
    assert child_welfare.list_officers(conn, reveal=True)[0]["name"] == "赵敏"
    gaps = child_welfare.gaps(conn)
    assert [f["id"] for f in gaps["villages"]["features"]] == ["210381901002"]
    assert [f["id"] for f in gaps["townships"]["features"]] == [TOWNSHIP]
    with pytest.raises(InvalidInput):
        child_welfare.create_officer(conn, {"role": "supervisor", "unit_code": VILLAGE, "name": "钱"}, actor)
