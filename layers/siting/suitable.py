"""Suitable land: the parts of a village (or of every village of a township) outside every hard buffer.

One statement in EPSG:4550: the constraint features near the unit's own extent (GiST ``&&`` on the
4490 index), buffered by their rule's distance and clipped to that extent, unioned once; each
village minus the union, split into polygons, filtered by area and ranked by distance to the
village centre (a point on its surface). The GeoJSON is assembled by PostGIS. A road or railway is
buffered from its edge (the rule's distance plus half its width, ``layers.siting.check``).

The whole county is computed village by village in the background (:func:`compute_county`) into
``suitable_land``, never in a request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.constraints import MAX_CORRIDOR_WIDTH_M
from layers.errors import InvalidInput, NotFound
from layers.features import q
from layers.siting.check import METRES_PER_DEGREE_MIN, class_condition, width_sql
from layers.siting.rules import RuleSetVersion, shipped

DEFAULT_MIN_AREA_M2 = float(shipped()["minimum_suitable_area"]["value_m2"])  # with its basis in the rule file

_BUFFER = """
SELECT ST_Intersection({shape}, e.box) AS b
FROM extent e JOIN {table} t ON t.geom && ST_Expand(e.g, {reach})
WHERE t.retired_at IS NULL{cls}"""


def _pieces_sql(rules: RuleSetVersion) -> tuple[str, dict[str, Any]]:
    """CTEs ``targets`` (the villages) → ``pieces`` (code, geom 4550, area, distance to centre)."""
    params: dict[str, Any] = {}
    buffers = []
    # hard rules block their whole distance; advisory ones still block what the law forbids
    blocking = [(r, r.distance_m if r.hard else r.legal_floor_m) for r in rules.rules]
    for i, (rule, d) in enumerate((r, d) for r, d in blocking if d is not None):
        cls = class_condition(rule, "t", f"c{i}")
        if cls:
            params[f"c{i}"] = rule.cls
        width, width_params = width_sql(rule, "t", f"w{i}")
        params.update(width_params)
        if width_params:  # a corridor: from its edge
            shape = f"ST_Buffer(ST_Transform(t.geom, {METRIC_SRID}), {d!r} + {width} / 2)"
            d += MAX_CORRIDOR_WIDTH_M / 2
        else:
            metric = f"ST_Transform(t.geom, {METRIC_SRID})"
            shape = f"ST_Buffer({metric}, {d!r})" if d > 0 else metric
        buffers.append(_BUFFER.format(shape=shape, table=q(rule.kind.layer), cls=cls,
                                      reach=f"{d / METRES_PER_DEGREE_MIN + 1e-6!r}"))
    sql = f"""
    targets AS MATERIALIZED (
        SELECT v.code, v.name, v.township_code, ST_Transform(v.geom, {METRIC_SRID}) AS m, v.geom AS g
        FROM villages v WHERE v.retired_at IS NULL AND {{where}}),
    extent AS MATERIALIZED (
        SELECT ST_SetSRID(ST_Extent(g)::geometry, {STORAGE_SRID}) AS g,
               ST_SetSRID(ST_Expand(ST_Extent(m), 1.0)::geometry, {METRIC_SRID}) AS box FROM targets),
    blocked AS MATERIALIZED (
        SELECT ST_Union(b) AS u FROM ({' UNION ALL '.join(buffers) or 'SELECT NULL::geometry AS b'}) x
        WHERE NOT ST_IsEmpty(b)),
    pieces AS (
        SELECT t.code, t.name, t.township_code, d.geom AS m,
               ST_Area(d.geom) AS area, ST_Distance(d.geom, ST_PointOnSurface(t.m)) AS to_centre
        FROM targets t CROSS JOIN blocked bl
        CROSS JOIN LATERAL ST_Dump(CASE WHEN bl.u IS NULL THEN t.m ELSE ST_Difference(t.m, bl.u) END) d
        WHERE ST_GeometryType(d.geom) = 'ST_Polygon' AND ST_Area(d.geom) >= :min_area)"""
    return sql, params


def _unit_condition(village: str | None, township: str | None) -> tuple[str, dict[str, Any]]:
    if bool(village) == bool(township):
        raise InvalidInput("请给出 village（村代码）或 township（乡镇代码）之一",
                           "give exactly one of village, township", field="village")
    if village:
        return "v.code = :unit", {"unit": village}
    return "v.township_code = :unit", {"unit": township}


def suitable_land(conn: Connection, rule_set: RuleSetVersion, village: str | None = None,
                  township: str | None = None, min_area_m2: float = DEFAULT_MIN_AREA_M2) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of suitable polygons (lon/lat), ranked by distance to the village centre."""
    if min_area_m2 < 0:
        raise InvalidInput("最小面积不能为负", "min_area must be >= 0", field="min_area")
    where, params = _unit_condition(village, township)
    pieces, rule_params = _pieces_sql(rule_set)
    sql = f"""
    WITH {pieces.format(where=where)},
    ranked AS (
        SELECT p.*, row_number() OVER (ORDER BY p.to_centre, p.area DESC, p.code) AS rank FROM pieces p)
    SELECT (SELECT count(*) FROM targets),
           coalesce(json_agg(json_build_object(
               'type', 'Feature', 'id', r.rank,
               'geometry', ST_AsGeoJSON(ST_Transform(r.m, {STORAGE_SRID}), 9, 0)::json,
               'properties', json_build_object(
                   'rank', r.rank, 'village_code', r.code, 'village_name', r.name,
                   'township_code', r.township_code, 'area_m2', round(r.area::numeric, 1),
                   'distance_to_centre_m', round(r.to_centre::numeric, 1))) ORDER BY r.rank), '[]'::json)
    FROM ranked r"""
    count, features = conn.execute(text(sql), {**params, **rule_params, "min_area": min_area_m2}).one()
    if not count:
        what = f"村 {village}" if village else f"乡镇 {township}"
        raise NotFound(f"没有找到{what}（或该乡镇下没有村）", f"no villages for {village or township}")
    return {"type": "FeatureCollection", "features": features,
            "rule_set": {"id": rule_set.id, "version": rule_set.version, "name": rule_set.name},
            "unit": {"village": village, "township": township}, "min_area_m2": min_area_m2,
            "total_area_m2": round(sum(f["properties"]["area_m2"] for f in features), 1)}


def compute_county(conn: Connection, rule_set: RuleSetVersion,
                   min_area_m2: float = DEFAULT_MIN_AREA_M2) -> dict[str, Any]:
    """Recompute the stored suitable land of every township for ``rule_set`` (background job)."""
    townships = conn.execute(text("SELECT DISTINCT township_code FROM villages WHERE retired_at IS NULL "
                                  "ORDER BY 1")).scalars().all()
    conn.execute(text("DELETE FROM suitable_land WHERE rule_set_id = :id AND rule_set_version = :v"),
                 {"id": rule_set.id, "v": rule_set.version})
    pieces, rule_params = _pieces_sql(rule_set)
    insert = text(f"""
    WITH {pieces.format(where="v.township_code = :unit")}
    INSERT INTO suitable_land (rule_set_id, rule_set_version, village_code, township_code, area_m2,
                               distance_to_centre_m, geom)
    SELECT :id, :v, p.code, p.township_code, p.area, p.to_centre, ST_Transform(p.m, {STORAGE_SRID}) FROM pieces p""")
    total = 0
    for code in townships:
        total += conn.execute(insert, {**rule_params, "unit": code, "min_area": min_area_m2, "id": rule_set.id,
                                       "v": rule_set.version}).rowcount
    return {"townships": len(townships), "polygons": total}


def stored_county(conn: Connection, rule_set: RuleSetVersion, township: str | None = None) -> dict[str, Any]:
    """The background result for the whole county (or one township), as GeoJSON."""
    row = conn.execute(text("""
        SELECT count(*), max(computed_at),
               coalesce(json_agg(json_build_object(
                   'type', 'Feature', 'id', s.id, 'geometry', ST_AsGeoJSON(s.geom, 9, 0)::json,
                   'properties', json_build_object('village_code', s.village_code, 'township_code', s.township_code,
                       'village_name', v.name, 'township_name', t.name,  -- codes go out beside their names
                       'area_m2', round(s.area_m2::numeric, 1),
                       'distance_to_centre_m', round(s.distance_to_centre_m::numeric, 1)))
                   ORDER BY s.village_code, s.distance_to_centre_m), '[]'::json)
        FROM suitable_land s
        LEFT JOIN villages v ON v.code = s.village_code AND v.retired_at IS NULL
        LEFT JOIN townships t ON t.code = s.township_code AND t.retired_at IS NULL
        WHERE s.rule_set_id = :id AND s.rule_set_version = :v
          AND (CAST(:township AS text) IS NULL OR s.township_code = :township)"""),
        {"id": rule_set.id, "v": rule_set.version, "township": township}).one()
    return {"type": "FeatureCollection", "features": row[2], "computed_at": row[1].isoformat() if row[1] else None,
            "rule_set": {"id": rule_set.id, "version": rule_set.version, "name": rule_set.name}}

