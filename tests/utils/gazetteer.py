"""The small test area of the gazetteer tests: two townships (A, a 街道 with the city's built-up area, and B, a
town with its own) with a village each, and place names written straight to the table, as imports do."""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point, box
from sqlalchemy import Connection, text

from layers.features import create_feature
from layers.gazetteer.declaration import PLACE_NAMES
from layers.place_names import prepare_place_name
from layers.roles import Actor

ACTOR = Actor("tester", frozenset({"place_names_editor"}))
# township A (a 街道 with the city's built-up area) and township B (a town with its own)
A, B = "210381001", "210381101"
A_XY, B_XY = (122.72, 40.86), (122.62, 40.86)


class _New:
    feature_id = None


def make_area(conn: Connection) -> None:
    for code, name, (x, y) in ((A, "海州街道", A_XY), (B, "牛庄镇", B_XY)):
        square = box(x - 0.02, y - 0.02, x + 0.03, y + 0.03).wkt
        conn.execute(text("INSERT INTO townships (code, name, geom) "
                          "VALUES (:c, :n, ST_Multi(ST_GeomFromText(:g, 4490)))"),
                     {"c": code, "n": name, "g": square})
        conn.execute(text("INSERT INTO villages (code, name, township_code, geom) "
                          "VALUES (:c, :n, :t, ST_Multi(ST_GeomFromText(:g, 4490)))"),
                     {"c": code + "001", "n": name[:2] + "社区", "t": code, "g": square})
        conn.execute(text("INSERT INTO urban_planning_zones (name, geom) "
                          "VALUES (:n, ST_Multi(ST_GeomFromText(:g, 4490)))"),
                     {"n": name[:2] + "建成区", "g": box(x - 0.01, y - 0.01, x + 0.01, y + 0.01).wkt})


def add_place(conn: Connection, name: str, class_code: str, xy: tuple[float, float], **extra: Any) -> int:
    """A record written straight to the table, as imports do: by default one already on record (approved)."""
    props = prepare_place_name({"name": name, "class_code": class_code, "status": "approved", **extra}, _New())
    place_id, _ = create_feature(conn, PLACE_NAMES, props, Point(*xy), ACTOR)
    return place_id
