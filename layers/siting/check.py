"""Check a site against a rule set: one SQL statement for every constraint kind.

Nearest in metres is not nearest in degrees (ENVIRONMENT.md): on lon/lat data the KNN operator
``<->`` can pick the wrong feature (long segmented expressways especially). Each branch therefore
takes the KNN top-1 only to learn an upper bound d of the true distance (measured in EPSG:4550),
then measures every feature within d — ``ST_DWithin`` on the 4490 GiST index with d / 83,000
degrees, a safe bound because 1° ≥ 83.9 km anywhere in the county — and keeps the exact nearest.

Roads and railways are measured from their edge, as the law measures (《公路安全保护条例》 Art. 11 from the
outer edge of the highway's land, 《铁路安全管理条例》 Art. 27 from the embankment toe): the distance to the
centreline less half the feature's width (its ``width_m``, else its class default), never below 0. The
KNN top-1's centreline distance still bounds the nearest edge; every feature whose edge may lie nearer is
within that bound plus the widest half-width a feature may record.

The result is a plain dict (JSON-ready) that the API returns, candidates freeze and reports render.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from formats.srids import METRIC_CRS, METRIC_SRID, STORAGE_CRS, STORAGE_SRID
from layers.constraints import MAX_CORRIDOR_WIDTH_M
from layers.features import q
from layers.geometry import reproject
from layers.siting.rules import Rule, RuleSetVersion, corridor_widths, is_violated

METRES_PER_DEGREE_MIN = 83_000.0  # lower bound of the length of 1° (of longitude) in the county
SITE_TYPES = ("Point", "Polygon", "MultiPolygon")

# One branch per rule. :wkb is the site (EPSG:4490). Lateral references act as parameters, so both
# the KNN ordering and ST_DWithin use the layer's GiST index.
_BRANCH = f"""
SELECT {{i}} AS i, n.id, n.name, n.distance, o.inside, o.overlap, NULL::text AS code, n.centre, n.width,
       n.width_recorded
FROM site s
CROSS JOIN LATERAL (
    SELECT ST_Distance(ST_Transform(t.geom, {METRIC_SRID}), s.m) AS d
    FROM {{table}} t WHERE t.retired_at IS NULL{{cls}}
    ORDER BY t.geom <-> s.g LIMIT 1) k
CROSS JOIN LATERAL (
    SELECT t.id, t.name::text AS name, greatest(c.centre - c.width / 2, 0) AS distance, c.centre, c.width,
           c.recorded AS width_recorded
    FROM {{table}} t CROSS JOIN LATERAL (
        SELECT ST_Distance(ST_Transform(t.geom, {METRIC_SRID}), s.m) AS centre, {{width}} AS width,
               {{recorded}} AS recorded) c
    WHERE t.retired_at IS NULL{{cls}}
      AND ST_DWithin(t.geom, s.g, (k.d + {{reach_extra}}) / {{mpd}} + 1e-9)
    ORDER BY distance, t.id LIMIT 1) n
CROSS JOIN LATERAL (
    SELECT coalesce(bool_or(NOT ST_Touches(t.geom, s.g)), false) AS inside,
           {{overlap}} AS overlap
    FROM {{table}} t WHERE n.distance = 0 AND t.retired_at IS NULL{{cls}} AND ST_Intersects(t.geom, s.g)) o
"""
_AREAL_OVERLAP = f"coalesce(ST_Area(ST_Intersection(s.m, ST_Union(ST_Transform(t.geom, {METRIC_SRID})))), 0)"
# where the site lies: the village and township that contain a point on its surface
_PLACE = """
SELECT {i} AS i, u.id, u.name::text, NULL::float8, NULL::bool, NULL::float8, u.code::text, NULL::float8,
       NULL::float8, NULL::bool
FROM site s CROSS JOIN LATERAL (
    SELECT id, name, code FROM {table} WHERE retired_at IS NULL AND ST_Intersects(geom, s.p)
    ORDER BY id LIMIT 1) u
"""
VILLAGE, TOWNSHIP = -1, -2


def class_condition(rule: Rule, alias: str = "t", param: str | None = None) -> str:
    """`` AND t.road_class = :c3`` for a classed rule, else empty."""
    column = rule.kind.class_column
    if not column or not rule.cls:
        return ""
    return f" AND {alias}.{q(column)} = :{param}"


def width_sql(rule: Rule, alias: str, param: str) -> tuple[str, dict[str, Any]]:
    """The full width of a rule's feature (its recorded ``width_m``, else the class default) and its param;
    ``0`` and no param for kinds that are not corridors.
    """
    default = rule.default_width_m
    if not rule.kind.corridor or default is None:
        return "0::float8", {}
    return f"coalesce({alias}.width_m, CAST(:{param} AS float8))", {param: default}


def check_sql(rules: tuple[Rule, ...]) -> tuple[str, dict[str, Any]]:
    """The one statement (UNION ALL of a branch per rule and the two place look-ups) and its class params."""
    params: dict[str, Any] = {}
    branches = []
    for i, rule in enumerate(rules):
        cls = class_condition(rule, "t", f"c{i}")
        if cls:
            params[f"c{i}"] = rule.cls
        overlap = _AREAL_OVERLAP if rule.kind.areal else "NULL::float8"
        width, width_params = width_sql(rule, "t", f"w{i}")
        params.update(width_params)
        corridor = bool(width_params)
        branches.append(_BRANCH.format(i=i, table=q(rule.kind.layer), cls=cls, mpd=METRES_PER_DEGREE_MIN,
                                       overlap=overlap, width=width,
                                       recorded="t.width_m IS NOT NULL" if corridor else "NULL::bool",
                                       reach_extra=f"{MAX_CORRIDOR_WIDTH_M / 2 if corridor else 0.0!r}"))
    branches.append(_PLACE.format(i=VILLAGE, table="villages"))
    branches.append(_PLACE.format(i=TOWNSHIP, table="townships"))
    sql = (f"WITH site AS MATERIALIZED (SELECT g, ST_Transform(g, {METRIC_SRID}) AS m, ST_PointOnSurface(g) AS p "
           f"FROM (SELECT ST_GeomFromWKB(:wkb, {STORAGE_SRID}) AS g) x)\n" + "\nUNION ALL\n".join(branches))
    return sql, params


def area_m2(geom: BaseGeometry) -> float:
    """Area in EPSG:4550 square metres (0 for a point)."""
    return float(reproject(geom, STORAGE_CRS, METRIC_CRS).area)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def corridor_figures(rule: Rule, centre: float | None, width: float | None, recorded: bool | None
                     ) -> dict[str, Any]:
    """What a road or railway line of the report adds: the distance to the centreline and the width used."""
    if not rule.kind.corridor:
        return {}
    default = corridor_widths().get(rule.key, {})
    return {"centreline_distance_m": _round(centre), "width_m": _round(width),
            "width_source": None if width is None else "feature" if recorded else "default",
            "width_basis": "要素记录的用地宽度" if recorded else default.get("basis")}


def rule_result(rule: Rule, nearest: tuple[Any, ...] | None) -> dict[str, Any]:
    """One line of the report; ``nearest`` = (id, name, distance, inside, overlap, centre, width, recorded)
    or None. For a road or railway ``distance`` is to its edge, ``centre`` to its centreline.
    """
    if nearest is None:
        distance, inside, overlap, feature = None, False, None, None
        centre = width = recorded = None
    else:
        fid, name, distance, inside, overlap, centre, width, recorded = nearest
        feature = {"layer": rule.kind.layer, "id": int(fid), "name": name}
        if rule.kind.areal and overlap is None:
            overlap = 0.0
    floor = rule.legal_floor_m
    below_floor = floor is not None and is_violated(distance, floor, inside=bool(inside))
    return {
        "rule": rule.key, "constraint": rule.constraint, "class": rule.cls, "label": rule.label,
        # an advisory rule still may not go below the law: a violation there is hard
        "required_distance_m": rule.distance_m, "hard": rule.hard or below_floor, "grade": rule.grade,
        "basis": rule.basis, "distance_m": _round(distance), "nearest": feature,
        "violated": is_violated(distance, rule.distance_m, inside=bool(inside)),
        "legal_floor_m": floor, "below_legal_floor": below_floor,
        "inside": bool(inside), "overlap_area_m2": _round(overlap) if rule.kind.areal else None,
        **corridor_figures(rule, centre, width, recorded),
    }


def check_site(conn: Connection, geom: BaseGeometry, rule_set: RuleSetVersion) -> dict[str, Any]:
    """Check a site (Point/Polygon/MultiPolygon in EPSG:4490) against ``rule_set``; returns the report dict."""
    sql, params = check_sql(rule_set.rules)
    params["wkb"] = shapely.to_wkb(shapely.force_2d(geom))
    rows = conn.execute(text(sql), params).all()
    by_index = {row[0]: row for row in rows}
    results = [rule_result(rule, (*by_index[i][1:6], *by_index[i][7:10]) if i in by_index else None)
               for i, rule in enumerate(rule_set.rules)]

    def place(i: int) -> dict[str, str] | None:
        row = by_index.get(i)
        return {"code": row[6], "name": row[2]} if row else None

    return {
        "compliant": not any(r["violated"] and r["hard"] for r in results),
        "rule_set": {"id": rule_set.id, "version": rule_set.version, "name": rule_set.name},
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "geometry": shapely.geometry.mapping(geom),
        "area_m2": _round(area_m2(geom)),
        "township": place(TOWNSHIP), "village": place(VILLAGE),
        "results": results,
        "violations": [r["rule"] for r in results if r["violated"]],
    }
