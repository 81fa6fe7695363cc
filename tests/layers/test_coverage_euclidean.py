"""Straight-line coverage on hand-made geometry: 999 m is covered, 1,001 m is not (EPSG:4550)."""

from __future__ import annotations

from functools import cache

import pytest
from pyproj import Transformer
from sqlalchemy import text

from layers.coverage.analysis import coverage_rows, totals
from layers.coverage.radii import DEFAULTS, parse_types
from layers.coverage.selection import Selection
from layers.errors import InvalidInput

ORIGIN = (122.69, 40.88)
TOWNSHIP, VILLAGE, VILLAGE2 = "210381901", "210381901001", "210381901002"


@cache
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(4550, 4490, always_xy=True)


@cache
def origin_xy() -> tuple[float, float]:
    return Transformer.from_crs(4490, 4550, always_xy=True).transform(*ORIGIN)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    """The lon/lat of the point ``dx``, ``dy`` metres (EPSG:4550) from the origin."""
    x, y = origin_xy()
    return _to_lonlat().transform(x + dx, y + dy)


def point_sql(dx: float, dy: float) -> str:
    x, y = origin_xy()
    return f"ST_Transform(ST_SetSRID(ST_MakePoint({x + dx!r}, {y + dy!r}), 4550), 4490)"


def square_sql(half: float, dx: float = 0.0) -> str:
    x, y = origin_xy()
    return (f"ST_Multi(ST_Transform(ST_MakeEnvelope({x + dx - half!r}, {y - half!r}, {x + dx + half!r}, "
            f"{y + half!r}, 4550), 4490))")


def make_units(conn) -> None:
    conn.execute(text(f"INSERT INTO townships (code, name, geom) VALUES ('{TOWNSHIP}', '测试镇', {square_sql(20000)})"))
    conn.execute(text(f"INSERT INTO villages (code, name, township_code, population, geom) VALUES "
                      f"('{VILLAGE}', '东村', '{TOWNSHIP}', 1000, {square_sql(8000, -8000)}), "
                      f"('{VILLAGE2}', '西村', '{TOWNSHIP}', 500, {square_sql(8000, 8000)})"))


def add_household(conn, dx: float, dy: float, name: str = "张三", categories=("elderly_alone",),
                  child: bool = False, village: str = VILLAGE, members: int = 1) -> int:
    return conn.execute(text(
        "INSERT INTO households (head_name, phone, address, categories, members, has_child_under_14, village_code, "
        "geom) VALUES (:n, '13812345678', '海城市测试镇东村一组', CAST(:c AS varchar[]), :m, :child, :v, "
        f"{point_sql(dx, dy)}) "
        "RETURNING id"), {"n": name, "c": list(categories), "m": members, "child": child, "v": village}).scalar_one()


def add_care(conn, dx: float, dy: float, facility_type: str = "day_care", radius: float | None = 1000.0,
             name: str = "测试照料站", beds: int | None = None, residents: int | None = None) -> int:
    return conn.execute(text(
        "INSERT INTO care_facilities (name, facility_type, service_radius_m, beds, residents, township_code, geom) "
        f"VALUES (:n, :t, :r, :b, :res, '{TOWNSHIP}', {point_sql(dx, dy)}) RETURNING id"),
        {"n": name, "t": facility_type, "r": radius, "b": beds, "res": residents}).scalar_one()


@pytest.fixture
def ring(conn):
    """A 日间照料站 with a 1,000 m radius of its own at the origin, households at 999 m and 1,001 m (east) and
    999.7 m (north-east)."""
    make_units(conn)
    facility = add_care(conn, 0, 0)
    inside = add_household(conn, 999.0, 0)
    outside = add_household(conn, 1001.0, 0, name="李四")
    diagonal = add_household(conn, 706.9, 706.9, name="王五")  # 999.7 m
    return facility, inside, outside, diagonal


def covered_ids(conn, sel: Selection) -> set[int]:
    from layers.coverage.covered import covered_ctes

    return set(conn.execute(text(f"WITH {covered_ctes(sel)} SELECT id FROM covered"), sel.params()).scalars())


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
