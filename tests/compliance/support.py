"""Records for the compliance tests, built in EPSG:4550 metres (tests/utils/siting.py)."""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.compliance.queue import drain
from layers.siting.rules import get_rule_set
from tests.utils.siting import insert, rect, to_lonlat


def cemetery(conn: Connection, x: float, y: float, name: str, size: float = 20.0) -> tuple[int, BaseGeometry]:
    """A square cemetery whose south-west corner is at local (x, y)."""
    return insert(conn, "cemeteries", MultiPolygon([rect(x, y, x + size, y + size)]), name=name,
                  cemetery_type="village_public", status="existing")


def grave(conn: Connection, geom_metric: Point) -> tuple[int, BaseGeometry]:
    return insert(conn, "scattered_graves", geom_metric)


def candidate(conn: Connection, geom_metric: BaseGeometry, name: str) -> tuple[int, BaseGeometry]:
    rule_set = get_rule_set(conn)
    stored = to_lonlat(geom_metric)
    cid = conn.execute(text(
        "INSERT INTO candidate_sites (name, village_code, rule_set_id, rule_set_version, compliant, report, geom) "
        "VALUES (:name, '210381100200', :rs, :v, true, '{}', ST_GeomFromWKB(:wkb, 4490)) RETURNING id"),
        {"name": name, "rs": rule_set.id, "v": rule_set.version, "wkb": shapely.to_wkb(stored)}).scalar_one()
    return cid, stored


def findings(conn: Connection, **where: object) -> list[dict]:
    clauses = " AND ".join(f"{k} = :{k}" for k in where) or "true"
    return [dict(r) for r in conn.execute(text(f"SELECT * FROM compliance_findings WHERE {clauses} ORDER BY id"),
                                          where).mappings()]


def settle(conn: Connection) -> dict:
    """Drain the queue as the background job does; the queue is then empty."""
    summary = drain(conn)
    assert conn.execute(text("SELECT count(*) FROM compliance_changes WHERE processed_at IS NULL")).scalar() == 0
    return summary
