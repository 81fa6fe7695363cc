"""The layer list's counts equal what each role may list (issue 13, part 9).

Found: an admin's `GET /api/layers` said 30,001 households while the admin could list 25,617 —
households with a child under 14 are shown to the case office only, and the difference was their
number. Every count now applies the caller's row filter, as the lists do.
"""

from __future__ import annotations

from sqlalchemy import text

from layers.roles import ALL_ROLES
from tests.utils.coverage import add_care, add_household, make_units


def test_every_layer_count_equals_numbers_matched_for_every_role(conn, client_as):
    make_units(conn)
    add_care(conn, 0, 0)
    for i in range(3):
        add_household(conn, 100 * i, 0)
    add_household(conn, 500, 0, child=True)  # flagged
    add_household(conn, 600, 0, categories=("orphan",))  # a child's category, flag left unticked
    retired = add_household(conn, 700, 0)
    conn.execute(text("UPDATE households SET retired_at = now() WHERE id = :id"), {"id": retired})
    households = {}
    for role in sorted(ALL_ROLES):
        api = client_as(role)
        for layer in api.get("/api/layers").json():
            if not layer["permissions"]["read"]:
                assert layer["count"] is None, (role, layer["name"])
                continue
            listed = api.get(f"/api/layers/{layer['name']}/features?limit=1")
            assert listed.status_code == 200, (role, layer["name"], listed.text)
            assert layer["count"] == listed.json()["numberMatched"], (role, layer["name"])
            if layer["name"] == "households":
                households[role] = layer["count"]
    # the case office lists all 5 live households; nobody else any, not even an admin (issue 14)
    assert households == {"case_worker": 5}
