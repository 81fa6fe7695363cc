"""Hand-made geometry for the coverage tests: a township, two villages (东村 west of x = 0, 西村 east of it),
households and facilities placed in metres (EPSG:4550) from an origin in the county."""

from __future__ import annotations

from functools import cache

import pytest
from pyproj import Transformer
from sqlalchemy import text

from layers.coverage.selection import Selection

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


def covered_ids(conn, sel: Selection) -> set[int]:
    from layers.coverage.covered import covered_ctes

    return set(conn.execute(text(f"WITH {covered_ctes(sel)} SELECT id FROM covered"), sel.params()).scalars())


def make_ring(conn) -> tuple[int, int, int, int]:
    """A 日间照料站 with a 1,000 m radius of its own at the origin, households at 999 m and 1,001 m (east) and
    999.7 m (north-east)."""
    make_units(conn)
    facility = add_care(conn, 0, 0)
    inside = add_household(conn, 999.0, 0)
    outside = add_household(conn, 1001.0, 0, name="李四")
    diagonal = add_household(conn, 706.9, 706.9, name="王五")  # 999.7 m
    return facility, inside, outside, diagonal


@pytest.fixture
def ring(conn):
    return make_ring(conn)


@pytest.fixture
def villages(conn):
    """Households: 3 in 东村 (VILLAGE; 30 m, 5 km and 7.9 km west of x = 0), 2 in 西村 (VILLAGE2; 10 m and
    400 m east of it) — for facilities that serve their village (make_units: two 16 km squares)."""
    make_units(conn)
    east = [add_household(conn, dx, 0) for dx in (-30, -5000, -7900)]
    west = [add_household(conn, dx, 0, village=VILLAGE2, name="李四") for dx in (10, 400)]
    return east, west


def line_sql(*points: tuple[float, float]) -> str:
    x, y = origin_xy()
    coords = ", ".join(f"{x + dx!r} {y + dy!r}" for dx, dy in points)
    return f"ST_Multi(ST_Transform(ST_GeomFromText('LINESTRING({coords})', 4550), 4490))"


def add_road(conn, *points: tuple[float, float], road_class: str = "township") -> int:
    return conn.execute(text(f"INSERT INTO roads (name, road_class, geom) VALUES ('测试路', :c, {line_sql(*points)}) "
                             "RETURNING id"), {"c": road_class}).scalar_one()


def river_case(conn) -> dict[str, int]:
    """West road x = 0 and east road x = 400 m run north from y = 0 to y = 5,000 m and meet only at the top
    (a river between, no bridge); a 幸福院 20 m west of the west road at y = 50; a household 20 m east of
    the east road (440 m in a straight line, ≈ 10.3 km by road) and one beside the west road 750 m further
    north (≈ 790 m by road)."""
    make_units(conn)
    add_road(conn, (0, 0), (0, 5000))
    add_road(conn, (0, 5000), (400, 5000))
    add_road(conn, (400, 5000), (400, 0))
    facility = add_care(conn, -20, 50)
    across = add_household(conn, 420, 50, name="河东")
    along = add_household(conn, -20, 800, name="路西")
    return {"facility": facility, "across": across, "along": along}
