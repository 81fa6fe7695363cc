"""Road-network service areas and coverage with pgRouting.

Method (all distances in EPSG:4550 metres):

1. **Graph** (``build_edges``): a line end within 1 m of another line is snapped onto it
   (T-junctions), then the lines are noded (``ST_Node``: every crossing becomes a junction —
   grade-separated crossings are joined too, a known simplification) and the piece ends are
   snapped to a 1 cm grid to number the nodes. Each edge has a cost per mode in *metres at the
   mode's base speed*: ``length × base_speed / class_speed`` (travel time × base speed); a road
   class excluded for a mode (walking: 高速公路) has no cost. Defaults: walking 4.5 km/h,
   driving 30 km/h on every class, so cost = length and a radius stays a distance.
2. **Facility access**: a facility joins the graph at the nearest point P of the nearest usable
   edge (u, v) (KNN on the 4550 GiST index is exact for planar geometries). Starting costs are
   ``a + t·c`` to u and ``a + (1 − t)·c`` to v (a = straight off-road leg, t = P's fraction along the
   edge, c = the edge's cost). ``pgr_drivingDistance`` (undirected) runs once per distinct radius
   from all those start nodes; a node's cost is the least start cost + network cost, kept when ≤ r.
3. **Household coverage**: a household H snaps the same way to its nearest usable edge (fraction
   s, off-road leg b). H is covered by facility F when
   ``min(D_F(u) + s·c, D_F(v) + (1 − s)·c) + b ≤ r_F`` or, on F's own edge,
   ``a_F + |s − t_F|·c + b ≤ r_F``. Only households within ``r_F × k`` in a straight line are
   examined (k = the largest length/cost ratio, 1 by default: the network distance is never
   shorter than the straight line).
4. **Polygons** (for the map only; counts come from 3): the reachable parts of the edges (each
   reached node's remaining budget along its edges, and F's own edge) plus the access leg,
   buffered by ``display_buffer_m``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.constraints import ROAD_CLASSES
from layers.coverage.methods import MODES
from layers.coverage.selection import Selection, household_filter, unit_covered_sql
from layers.siting.check import METRES_PER_DEGREE_MIN

DEFAULT_PARAMS: dict[str, Any] = {
    "walking": {"speed_kmh": 4.5, "excluded_classes": ["expressway"], "class_speeds_kmh": {},
                "basis": "步行 4.5 km/h（10 分钟 ≈ 750 m）；行人不得进入高速公路（《道路交通安全法》第 67 条）"},
    "driving": {"speed_kmh": 30.0, "excluded_classes": [], "class_speeds_kmh": {},
                "basis": "车行 30 km/h（项目默认值，乡村道路平均车速）"},
    "display_buffer_m": 100.0,
}


def cost_factor_sql(params: dict[str, Any], mode: str) -> str:
    """``length × factor`` → cost; NULL for excluded classes. Only numbers and known class codes."""
    p = params[mode]
    base = float(p["speed_kmh"])
    cases = []
    for cls in ROAD_CLASSES:
        if cls in p.get("excluded_classes", []):
            cases.append(f"WHEN '{cls}' THEN NULL")
        else:
            cases.append(f"WHEN '{cls}' THEN {base / float(p.get('class_speeds_kmh', {}).get(cls, base))!r}")
    return f"(CASE road_class {' '.join(cases)} ELSE 1.0 END)"


SNAP_TOLERANCE_M = 1.0  # a line end this close to another line joins it (T-junctions, digitising near-misses)
_RAW_SQL = "CREATE TEMP TABLE cov_raw ON COMMIT DROP AS SELECT r.id, r.road_class, d.geom AS g FROM roads r, " \
           f"LATERAL ST_Dump(ST_Transform(r.geom, {METRIC_SRID})) d " \
           "WHERE r.retired_at IS NULL AND NOT ST_IsEmpty(d.geom)"
_ENDS_SQL = "CREATE TEMP TABLE cov_ends ON COMMIT DROP AS SELECT ST_StartPoint(g) AS p FROM cov_raw " \
            "UNION ALL SELECT ST_EndPoint(g) FROM cov_raw"
# every line gets a vertex where another line's end lies within the tolerance, so noding splits it there
_SOURCE_SQL = f"""CREATE TEMP TABLE cov_src ON COMMIT DROP AS SELECT r.id, r.road_class,
    coalesce(ST_Snap(r.g, (SELECT ST_Collect(e.p) FROM cov_ends e WHERE ST_DWithin(e.p, r.g, {SNAP_TOLERANCE_M!r})),
                     {SNAP_TOLERANCE_M!r}), r.g) AS g FROM cov_raw r"""
_PIECES_SQL = "CREATE TEMP TABLE cov_pieces ON COMMIT DROP AS SELECT d.geom AS g FROM " \
              "(SELECT ST_Node(ST_Collect(g)) AS n FROM cov_src) s, LATERAL ST_Dump(s.n) d " \
              "WHERE ST_Length(d.geom) > 0.01"
_EDGES_SQL = """
INSERT INTO coverage_network_edges (id, source, target, road_id, road_class, length_m, geom)
WITH p AS (SELECT row_number() OVER () AS id, g, ST_SnapToGrid(ST_StartPoint(g), 0.01) AS a,
                  ST_SnapToGrid(ST_EndPoint(g), 0.01) AS b FROM cov_pieces),
v AS (SELECT x, y, row_number() OVER (ORDER BY x, y) AS vid
      FROM (SELECT ST_X(a) AS x, ST_Y(a) AS y FROM p UNION SELECT ST_X(b), ST_Y(b) FROM p) q)
SELECT p.id, va.vid, vb.vid, src.id, src.road_class, ST_Length(p.g), p.g
FROM p JOIN v va ON va.x = ST_X(p.a) AND va.y = ST_Y(p.a) JOIN v vb ON vb.x = ST_X(p.b) AND vb.y = ST_Y(p.b)
CROSS JOIN LATERAL (
    SELECT s.id, s.road_class FROM cov_src s WHERE ST_DWithin(s.g, ST_LineInterpolatePoint(p.g, 0.5), 0.05)
    ORDER BY ST_Distance(s.g, ST_LineInterpolatePoint(p.g, 0.5)), s.road_class = 'expressway', s.id LIMIT 1) src
"""


def build_edges(conn: Connection, params: dict[str, Any]) -> int:
    """Rebuild the routable graph from ``roads``; returns the number of edges."""
    conn.execute(text("DELETE FROM coverage_network_edges"))
    for sql in (_RAW_SQL, _ENDS_SQL, "CREATE INDEX ON cov_ends USING gist (p)", _SOURCE_SQL,
                "CREATE INDEX ON cov_src USING gist (g)", _PIECES_SQL, _EDGES_SQL):
        conn.execute(text(sql))
    costs = ", ".join(f"{mode}_cost_m = length_m * {cost_factor_sql(params, mode)}" for mode in MODES)
    conn.execute(text(f"UPDATE coverage_network_edges SET {costs}"))
    conn.execute(text("DROP TABLE cov_raw, cov_ends, cov_src, cov_pieces"))
    conn.execute(text("ANALYZE coverage_network_edges"))
    return conn.execute(text("SELECT count(*) FROM coverage_network_edges")).scalar_one()


def _cost(mode: str, alias: str = "e") -> str:
    if mode not in MODES:  # the column name is built from it
        raise ValueError(mode)
    return f"{alias}.{mode}_cost_m"


def access_sql(mode: str, sources: str) -> str:
    """``SELECT`` the nearest usable edge of each row of ``sources`` (layer, id, type, r, m)."""
    return (f"SELECT s.layer, s.id, s.type, s.r, e.id AS edge_id, e.source, e.target, e.cost AS edge_cost, "
            f"ST_LineLocatePoint(e.geom, s.m) AS t, ST_Distance(e.geom, s.m) AS access_m, s.m "
            f"FROM {sources} s CROSS JOIN LATERAL (SELECT e.id, e.source, e.target, e.geom, {_cost(mode)} AS cost "
            f"FROM coverage_network_edges e WHERE {_cost(mode)} IS NOT NULL "
            "AND e.road_class <> ALL(CAST(:no_access AS text[])) "
            "ORDER BY e.geom <-> s.m LIMIT 1) e "
            "WHERE s.r IS NOT NULL")


def compute_reach(conn: Connection, mode: str, access: str, reach: str) -> int:
    """Fill table ``reach`` (layer, id, node, cost_m) from the attachments in table ``access``."""
    edges_sql = (f"SELECT id, source, target, {_cost(mode, 'e')} AS cost FROM coverage_network_edges e "
                 f"WHERE {_cost(mode, 'e')} IS NOT NULL")
    radii = conn.execute(text(f"SELECT DISTINCT r FROM {access} WHERE access_m < r ORDER BY r")).scalars().all()
    total = 0
    for r in radii:
        total += conn.execute(text(f"""
            INSERT INTO {reach} (layer, id, node, cost_m)
            SELECT a.layer, a.id, dd.node, min(st.c + dd.agg_cost)
            FROM {access} a
            CROSS JOIN LATERAL (VALUES (a.source, a.access_m + a.t * a.edge_cost),
                                       (a.target, a.access_m + (1 - a.t) * a.edge_cost)) st(vid, c)
            JOIN pgr_drivingDistance(CAST(:edges AS text),
                     (SELECT array_agg(DISTINCT v) FROM {access} a2, LATERAL (VALUES (a2.source), (a2.target)) x(v)
                      WHERE a2.r = :r AND a2.access_m < a2.r), CAST(:r AS float8), false) dd ON dd.from_v = st.vid
            WHERE a.r = :r AND st.c + dd.agg_cost <= a.r
            GROUP BY a.layer, a.id, dd.node"""), {"edges": edges_sql, "r": r}).rowcount
    return total


def polygon_sql(mode: str, access: str, reach: str, buffer_m: float) -> str:
    """``SELECT layer, id, geom`` (4490 MultiPolygon): reachable edge parts and access leg, buffered."""
    cost = _cost(mode)
    return f"""
        SELECT a.layer, a.id, ST_Multi(ST_Transform(ST_Buffer(ST_Collect(part.g), {float(buffer_m)!r}, 'quad_segs=4'),
                                                    {STORAGE_SRID})) AS geom
        FROM {access} a CROSS JOIN LATERAL (
            SELECT ST_MakeLine(a.m, ST_LineInterpolatePoint(e.geom, a.t)) AS g
            FROM coverage_network_edges e WHERE e.id = a.edge_id
            UNION ALL
            SELECT ST_LineSubstring(e.geom, greatest(0.0, a.t - (a.r - a.access_m) / {cost}),
                                    least(1.0, a.t + (a.r - a.access_m) / {cost}))
            FROM coverage_network_edges e WHERE e.id = a.edge_id
            UNION ALL
            SELECT ST_LineSubstring(e.geom, 0.0, least(1.0, (a.r - rc.cost_m) / {cost}))
            FROM {reach} rc JOIN coverage_network_edges e ON e.source = rc.node
            WHERE rc.layer = a.layer AND rc.id = a.id AND {cost} IS NOT NULL
            UNION ALL
            SELECT ST_LineSubstring(e.geom, greatest(0.0, 1.0 - (a.r - rc.cost_m) / {cost}), 1.0)
            FROM {reach} rc JOIN coverage_network_edges e ON e.target = rc.node
            WHERE rc.layer = a.layer AND rc.id = a.id AND {cost} IS NOT NULL
        ) part
        WHERE a.access_m < a.r
        GROUP BY a.layer, a.id"""


def covered_pairs_sql(sel: Selection, access: str, reach: str) -> str:
    """``SELECT hid, layer, id`` — (household, facility) pairs covered over the network.

    ``access`` rows: layer, id, r, edge_id, t, access_m, geom (4490), m (4550); ``reach``: layer, id,
    node, cost_m (both already limited to the mode).
    """
    cost = _cost(sel.mode)
    return f"""
        WITH k AS (SELECT greatest(1.0, coalesce(max(e.length_m / nullif({cost}, 0)), 1.0)) AS k
                   FROM coverage_network_edges e),
        near AS MATERIALIZED (
            SELECT h.id AS hid, a.layer, a.id, a.r, a.edge_id, a.t, a.access_m,
                   ST_Transform(h.geom, {METRIC_SRID}) AS hm
            FROM {access} a CROSS JOIN k JOIN households h
              ON ST_DWithin(h.geom, a.geom, a.r * k.k / {METRES_PER_DEGREE_MIN!r})
             AND ST_DWithin(ST_Transform(h.geom, {METRIC_SRID}), a.m, a.r * k.k)
            WHERE a.access_m < a.r AND {household_filter(sel)}),
        snap AS MATERIALIZED (
            SELECT n.*, e.id AS h_edge, e.source, e.target, e.cost, ST_LineLocatePoint(e.geom, n.hm) AS s,
                   ST_Distance(e.geom, n.hm) AS b
            FROM near n CROSS JOIN LATERAL (
                SELECT e.id, e.source, e.target, e.geom, {cost} AS cost FROM coverage_network_edges e
                WHERE {cost} IS NOT NULL AND e.road_class <> ALL(CAST(:no_access AS text[]))
                ORDER BY e.geom <-> n.hm LIMIT 1) e)
        SELECT s.hid, s.layer, s.id FROM snap s
        WHERE (s.h_edge = s.edge_id AND s.access_m + abs(s.s - s.t) * s.cost + s.b <= s.r)
           OR EXISTS (SELECT 1 FROM {reach} rc WHERE rc.layer = s.layer AND rc.id = s.id AND rc.node = s.source
                      AND rc.cost_m + s.s * s.cost + s.b <= s.r)
           OR EXISTS (SELECT 1 FROM {reach} rc WHERE rc.layer = s.layer AND rc.id = s.id AND rc.node = s.target
                      AND rc.cost_m + (1 - s.s) * s.cost + s.b <= s.r)"""


def stored_access(mode_param: str = ":mode") -> str:
    """The stored attachments of the ``fac`` facilities, shaped for :func:`covered_pairs_sql`."""
    return (f"(SELECT sa.facility_layer AS layer, sa.facility_id AS id, sa.radius_m AS r, sa.edge_id, "
            f"sa.edge_fraction AS t, sa.access_m, fac.geom, fac.m FROM fac JOIN coverage_service_areas sa "
            f"ON sa.facility_layer = fac.layer AND sa.facility_id = fac.id AND sa.mode = {mode_param} "
            "WHERE fac.r IS NOT NULL AND sa.radius_m IS NOT NULL AND sa.access_m IS NOT NULL)")


STORED_REACH = ("(SELECT facility_layer AS layer, facility_id AS id, node, cost_m FROM coverage_network_reach "
                "WHERE mode = :mode)")


def covered_sql(sel: Selection) -> str:
    """``SELECT id`` of the households covered over the network (needs the ``fac`` CTE)."""
    return (f"SELECT DISTINCT hid AS id FROM ({covered_pairs_sql(sel, stored_access(), STORED_REACH)}) p "
            f"UNION {unit_covered_sql(sel)}")
