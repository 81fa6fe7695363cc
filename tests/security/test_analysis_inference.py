"""Replay of the `suggest` localisation attack (issue 13, part 2).

Found: a viewer sent candidate points of its own with a tiny ``radius_m`` and ``category=orphan`` and
read the exact ``newly_covered`` (0 or 1): 16 calls halving the search square placed a child's
household to within 0.3 m, and nothing was audited. Now a role that may not read households is
refused its own points, radius and categories (403, audited), and what it may ask is answered from
the published village cells. An admin reads no household unless it also holds the case office (issue 14):
it is restricted like the others.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from layers.coverage.radii import DEFAULTS
from tests.utils.coverage import VILLAGE, VILLAGE2, add_household, lonlat, make_units

RESTRICTED = ("viewer", "place_names_editor", "funeral_planner", "boundary_surveyor", "admin")
CHILD_AT = (1234.0, 567.0)  # metres from the test origin, inside 东村
CJK = re.compile(r"[\u4e00-\u9fff]")


def scene(conn) -> int:
    """东村: the child's household and 3 others (a cell of 3: suppressed); 西村: 7 households."""
    make_units(conn)
    child = add_household(conn, *CHILD_AT, name="孤儿户", categories=("orphan",), child=True)
    for i in range(3):
        add_household(conn, -3000, i * 10.0)
    for i in range(7):
        add_household(conn, 8000, i * 10.0, village=VILLAGE2)
    return child


def audit_rows(conn, username: str, refused: bool) -> int:
    return conn.execute(text(
        "SELECT count(*) FROM audit_log WHERE username = :u AND action = 'count_households' AND layer = 'households' "
        "AND (detail ? 'refused') = :r"), {"u": username, "r": refused}).scalar_one()


def bisect(post, category: str = "orphan") -> list[int | None]:
    """The attack: 16 probes, each a point at the centre of the remaining square with a radius that
    covers half of it; returns what each probe reported as newly covered (None when refused)."""
    seen = []
    cx, cy, half = 0.0, 0.0, 4000.0
    for _ in range(16):
        probe = lonlat(cx - half / 2, cy)
        response = post({"facility_type": "day_care", "category": category, "k": 1,
                         "points": [list(probe)], "radius_m": half})
        sites = response.json().get("sites") if response.status_code == 200 else None
        seen.append(sites[0]["newly_covered"] if sites else (0 if sites is not None else None))
        half /= 2
    return seen


@pytest.mark.parametrize("role", RESTRICTED)
def test_own_points_radius_and_categories_are_refused_and_audited(conn, client_as, role):
    scene(conn)
    api = client_as(role)

    def post(body):
        return api.post("/api/coverage/suggest", json=body)

    assert bisect(post) == [None] * 16  # every probe refused: nothing learnt
    for body, field in (
            ({"facility_type": "day_care", "k": 1, "category": "orphan"}, "category"),
            ({"facility_type": "day_care", "k": 1, "points": [list(lonlat(*CHILD_AT))]}, "points"),
            ({"facility_type": "day_care", "k": 1, "radius_m": 10.0}, "radius_m"),
            ({"facility_type": "day_care", "k": 1, "method": "network"}, "method")):
        refused = post(body)
        assert refused.status_code == 403 and refused.json()["field"] == field
        assert CJK.search(refused.json()["message"])
        assert "sites" not in refused.json()
    assert audit_rows(conn, role, refused=True) == 16 + 4


@pytest.mark.parametrize("role", RESTRICTED)
def test_what_a_restricted_role_may_ask_is_made_of_published_cells(conn, client_as, role):
    scene(conn)
    body = client_as(role).post("/api/coverage/suggest", json={"facility_type": "day_care", "k": 2})
    assert body.status_code == 200, body.text
    result = body.json()
    # 东村's cell (3, without the child's household) is suppressed and adds nothing; 西村's 7 are published
    assert result["radius_m"] == DEFAULTS["day_care"].radius_m and result["published_cells_only"] is True
    assert result["uncovered_before"] == 7 and result["covered_after"] == 7
    assert [(s["village_code"], s["newly_covered"]) for s in result["sites"]] == [(VILLAGE2, 7)]
    assert "newly_covered_by_village" not in result["sites"][0]
    published = client_as(role).get("/api/coverage?facility_type=day_care").json()["rows"]
    assert {r["code"]: r["uncovered"] for r in published} == {VILLAGE: None, VILLAGE2: 7}
    assert audit_rows(conn, role, refused=False) == 2  # the suggestion and the coverage table


def test_the_case_office_may_still_plan_with_its_own_points(conn, client_as):
    child = scene(conn)
    worker = client_as("case_worker")
    result = worker.post("/api/coverage/suggest", json={
        "facility_type": "day_care", "category": "orphan", "k": 1, "points": [list(lonlat(*CHILD_AT))],
        "radius_m": 50.0}).json()
    assert [s["newly_covered"] for s in result["sites"]] == [1]
    assert result["sites"][0]["newly_covered_by_village"] == {VILLAGE: 1}
    assert conn.execute(text("SELECT village_code FROM households WHERE id = :i"), {"i": child}).scalar() == VILLAGE
    assert audit_rows(conn, "case_worker", refused=False) == 1


@pytest.mark.parametrize("body, field", [
    ({"facility_type": "day_care", "k": 1, "township": 123}, "township"),
    ({"facility_type": "day_care", "k": 1, "township": "海城"}, "township"),
    ({"facility_type": "day_care", "k": "3"}, "k"),
    ({"facility_type": "day_care", "k": True}, "k"),
    ({"facility_type": "day_care", "k": 51}, "k"),
    ({"facility_type": "day_care", "k": 1, "radius_m": "1000"}, "radius_m"),
    ({"facility_type": "day_care", "k": 1, "method": 5}, "method"),
    ({"facility_type": "day_care", "k": 1, "points": "all"}, "points"),
    ({"facility_type": "day_care", "k": 1, "points": [[122.7, "40.9"]]}, "points.0"),
    ({"facility_type": "day_care", "k": 1, "radius": 10}, "radius"),
    ({"facility_type": ["day_care"], "k": 1}, "facility_type"),
])
def test_wrong_types_are_422_in_chinese_and_change_nothing(conn, client_as, body, field):
    scene(conn)
    for role in ("viewer", "case_worker"):
        response = client_as(role).post("/api/coverage/suggest", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["field"].startswith(field) and CJK.search(response.json()["message"])
        assert audit_rows(conn, role, refused=False) + audit_rows(conn, role, refused=True) == 0
