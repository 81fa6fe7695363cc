"""Straight-line coverage on hand-made geometry: 999 m is covered, 1,001 m is not (EPSG:4550)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from layers.coverage.analysis import coverage_rows, totals
from layers.coverage.radii import DEFAULTS, parse_types
from layers.coverage.selection import Selection
from layers.errors import InvalidInput
from tests.utils.coverage import (
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    add_care,
    add_household,
    covered_ids,
    make_ring,
    point_sql,
)


@pytest.fixture
def ring(conn):
    return make_ring(conn)


def test_999_m_is_covered_and_1001_m_is_not(conn, ring):
    _, inside, outside, diagonal = ring
    assert DEFAULTS["day_care"].radius_m == 300.0  # the type's default; this one has its own 1,000 m
    covered = covered_ids(conn, Selection.parse("day_care"))
    assert inside in covered and diagonal in covered
    assert outside not in covered


def test_own_radius_overrides_the_default(conn, ring):
    facility, inside, outside, _ = ring
    conn.execute(text("UPDATE care_facilities SET service_radius_m = 1002 WHERE id = :id"), {"id": facility})
    assert {inside, outside} <= covered_ids(conn, Selection.parse("day_care"))
    conn.execute(text("UPDATE care_facilities SET service_radius_m = 998 WHERE id = :id"), {"id": facility})
    assert not {inside, outside} & covered_ids(conn, Selection.parse("day_care"))


def test_rows_per_village_and_township_and_categories(conn, ring):
    add_household(conn, 500, 0, categories=("dibao",))
    rows = {r["code"]: r for r in coverage_rows(conn, Selection.parse("day_care", "elderly_alone"), "village",
                                                  restricted=False)}
    assert rows[VILLAGE]["households"] == 3 and rows[VILLAGE]["covered"] == 2 and rows[VILLAGE]["rate"] == 0.6667
    everyone = coverage_rows(conn, Selection.parse("day_care"), "township", restricted=False)
    township = next(r for r in everyone if r["code"] == TOWNSHIP)
    assert (township["households"], township["covered"], township["uncovered"]) == (4, 3, 1)
    assert totals(conn, Selection.parse("day_care", "dibao"), False)["households"] == 1


def test_small_cells_are_suppressed_for_roles_that_may_not_read_households(conn, ring):
    rows = {r["code"]: r for r in coverage_rows(conn, Selection.parse("day_care"), "village", restricted=True)}
    assert rows[VILLAGE]["households"] is None and rows[VILLAGE]["suppressed"] is True
    assert rows[VILLAGE2]["households"] == 0 and rows[VILLAGE2]["suppressed"] is False


def test_township_serving_types_cover_their_township(conn, ring):
    add_care(conn, 30000, 30000, facility_type="nursing_home", radius=None, name="测试敬老院")  # outside, own code
    sel = Selection.parse("nursing_home")
    assert len(covered_ids(conn, sel)) == 3


def test_types_from_both_layers_and_unknown_types(conn, ring):
    conn.execute(text(f"INSERT INTO shelters (name, shelter_type, geom) VALUES ('紧急', 'emergency', "
                      f"{point_sql(1500, 0)})"))
    _, inside, outside, _ = ring
    assert {inside, outside} <= covered_ids(conn, Selection.parse("day_care,emergency"))
    assert parse_types("emergency, fixed") == ("emergency", "fixed")
    with pytest.raises(InvalidInput):
        parse_types("hospital")
    with pytest.raises(InvalidInput):
        Selection.parse("day_care", "rich")
