"""Where to build next: k new sites of a facility type that cover the most uncovered households.

The maximal covering location problem (Church & ReVelle 1974), solved exactly with spopt's
``MCLP`` and PuLP's CBC. Demand = the households of the chosen categories that the existing
facilities of the type leave uncovered (same method as the coverage counts), counting only the rows
the caller may list. Households with the same set of covering candidates form one demand point
weighted by their number (same optimum, a much smaller model). The chosen sites are then ordered
greedily, so each site's ``newly_covered`` is what it adds to those before it.

Roles that may read households choose: candidates = village centres (a point on each village
polygon) or points they drew; a candidate covers a household within the type's policy radius (or
``radius_m``), straight-line or over the network.

Other roles get an answer made of the published village cells only (``layers.coverage.disclosure``
rule 2): candidates = the village centres (never their own points), the type's policy radius (never
their own), and demand = each village's published uncovered cell placed at its centre — a candidate
covers a village when its centre is within the radius. Every count is then a sum of published
cells; a count of 1–4 would still be suppressed. Their own points or radius are refused (403): 16
calls with chosen points and radii once placed a child's household to within 0.3 m.
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt
from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.coverage import network
from layers.coverage.analysis import coverage_rows
from layers.coverage.covered import covered_ctes
from layers.coverage.disclosure import is_small, require_published
from layers.coverage.radii import DEFAULTS, TYPE_TITLES
from layers.coverage.selection import Selection, household_filter
from layers.errors import Forbidden, InvalidInput
from layers.siting.check import METRES_PER_DEGREE_MIN

MAX_K = 50
MAX_POINTS = 500
TEMP_TABLES = ("cov_cand", "cov_demand", "cov_cand_access", "cov_cand_reach")
LonLat = Annotated[list[StrictFloat], Field(min_length=2, max_length=2)]


class NamedPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    coordinates: LonLat = Field(title="候选点坐标")
    name: str | None = Field(None, title="候选点名称", max_length=100)


class SuggestRequest(BaseModel):
    """The body of ``POST /api/coverage/suggest``."""

    model_config = ConfigDict(extra="forbid")
    facility_type: str = Field(title="设施类型", max_length=40, examples=["happiness_home"])
    category: str | None = Field(None, title="救助类别", max_length=300)
    k: StrictInt = Field(3, title="新建设施数 k", ge=1, le=MAX_K)
    method: Literal["euclidean", "network"] = Field("euclidean", title="方法")
    mode: Literal["walking", "driving"] = Field("walking", title="路网方式")
    township: str | None = Field(None, title="乡镇代码", pattern=r"^\d{9}$")
    radius_m: StrictFloat | None = Field(None, title="服务半径（米）", gt=0, le=20_000)
    points: list[LonLat | NamedPoint] | None = Field(None, title="候选点", max_length=MAX_POINTS)


def _candidates(conn: Connection, body: SuggestRequest, radius: float) -> None:
    """Fill temp table ``cov_cand`` (layer, id, type, r, geom 4490, m 4550, code, name)."""
    conn.execute(text("CREATE TEMP TABLE cov_cand (layer text, id bigint, type text, r float8, geom geometry, "
                      "m geometry, code text, name text) ON COMMIT DROP"))
    if body.points:
        rows = []
        for i, p in enumerate(body.points, start=1):
            coords, name = (p.coordinates, p.name) if isinstance(p, NamedPoint) else (p, None)
            if not (121.5 <= coords[0] <= 124.0 and 40.0 <= coords[1] <= 41.7):
                raise InvalidInput(f"第 {i} 个候选点应为海城范围内的 [经度, 纬度]", f"point {i} is not in Haicheng",
                                   field="points")
            rows.append({"id": i, "x": coords[0], "y": coords[1], "name": name or f"候选点 {i}", "r": radius})
        conn.execute(text("INSERT INTO cov_cand SELECT 'candidate', :id, NULL, :r, "
                          f"ST_SetSRID(ST_MakePoint(:x, :y), {STORAGE_SRID}), "
                          f"ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), {STORAGE_SRID}), {METRIC_SRID}), "
                          "NULL, :name"), rows)
    else:
        conn.execute(text(
            "INSERT INTO cov_cand SELECT 'candidate', row_number() OVER (ORDER BY v.code), NULL, :r, p.g, "
            f"ST_Transform(p.g, {METRIC_SRID}), v.code, v.name FROM villages v CROSS JOIN LATERAL "
            "(SELECT ST_PointOnSurface(v.geom) AS g) p WHERE v.retired_at IS NULL "
            "AND (CAST(:township AS text) IS NULL OR v.township_code = :township)"),
            {"r": radius, "township": body.township})
    conn.execute(text("ANALYZE cov_cand"))


def _pairs(conn: Connection, sel: Selection, row_filter: str) -> list[tuple[int, int]]:
    """(candidate id, household id) for every uncovered household a candidate would cover."""
    params = sel.params()
    conn.execute(text(f"CREATE TEMP TABLE cov_demand ON COMMIT DROP AS WITH {covered_ctes(sel)} "
                      f"SELECT h.id FROM households h WHERE {household_filter(sel)} AND {row_filter} "
                      "AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = h.id)"), params)
    conn.execute(text("CREATE UNIQUE INDEX ON cov_demand (id)"))
    demand_filter = f"{household_filter(sel)} AND h.id IN (SELECT id FROM cov_demand)"
    if sel.method == "euclidean":
        sql = (f"SELECT c.id, h.id FROM cov_cand c JOIN households h ON ST_DWithin(h.geom, c.geom, "
               f"c.r / {METRES_PER_DEGREE_MIN!r}) AND ST_DWithin(ST_Transform(h.geom, {METRIC_SRID}), c.m, c.r) "
               f"WHERE {demand_filter}")
        return [(a, b) for a, b in conn.execute(text(sql), params)]
    access = network.access_sql(sel.mode, "cov_cand")
    conn.execute(text(f"CREATE TEMP TABLE cov_cand_access ON COMMIT DROP AS {access}"), params)
    conn.execute(text("ALTER TABLE cov_cand_access ADD COLUMN geom geometry"))
    conn.execute(text("UPDATE cov_cand_access a SET geom = c.geom FROM cov_cand c WHERE c.id = a.id"))
    conn.execute(text("CREATE TEMP TABLE cov_cand_reach (layer text, id bigint, node bigint, cost_m float8) "
                      "ON COMMIT DROP"))
    network.compute_reach(conn, sel.mode, "cov_cand_access", "cov_cand_reach")
    conn.execute(text("CREATE INDEX ON cov_cand_reach (layer, id, node)"))
    pairs_sql = network.covered_pairs_sql(sel, "cov_cand_access", "cov_cand_reach")
    sql = f"SELECT DISTINCT p.id, p.hid FROM ({pairs_sql}) p WHERE p.hid IN (SELECT id FROM cov_demand)"
    return [(a, b) for a, b in conn.execute(text(sql), params)]


def solve(pairs: list[tuple[int, int]], k: int, weights: Mapping[int, int] | None = None) -> list[tuple[int, int]]:
    """The MCLP optimum for ``k`` sites, as (candidate, newly covered) in greedy order. ``pairs`` are
    (candidate, demand point); a demand point counts ``weights[point]`` households (default 1).

    >>> solve([(1, 10), (1, 11), (2, 11), (2, 12), (3, 12)], 2)
    [(1, 2), (2, 1)]
    >>> solve([(1, 1), (2, 1), (2, 2)], 5)
    [(2, 2)]
    >>> solve([], 3)
    []
    >>> solve([(1, 10), (2, 11)], 1, {10: 5, 11: 7})
    [(2, 7)]
    """
    import pulp
    from spopt.locate import MCLP

    covers: dict[int, set[int]] = defaultdict(set)
    for cand, hh in pairs:
        covers[cand].add(hh)
    if not covers:
        return []

    def weight(points: set[int]) -> int:
        return sum(weights[p] for p in points) if weights is not None else len(points)

    cands = sorted(covers)
    groups: dict[frozenset[int], int] = defaultdict(int)
    by_household: dict[int, set[int]] = defaultdict(set)
    for cand, hh in pairs:
        by_household[hh].add(cand)
    for hh, cset in by_household.items():
        groups[frozenset(cset)] += weight({hh})
    keys = list(groups)
    if k >= len(cands):
        chosen = set(cands)
    else:
        index = {c: j for j, c in enumerate(cands)}
        cost = np.ones((len(keys), len(cands)))
        for i, group in enumerate(keys):
            cost[i, [index[c] for c in group]] = 0.0
        demand = np.array([groups[key] for key in keys], dtype=float)
        with warnings.catch_warnings():  # PuLP 3.3 announces its 4.0 API on every variable
            warnings.simplefilter("ignore", DeprecationWarning)
            model = MCLP.from_cost_matrix(cost, demand, service_radius=0.5, p_facilities=k, name="coverage_mclp")
            model.solve(pulp.PULP_CBC_CMD(msg=False))
        chosen = {cands[j] for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5}
    order: list[tuple[int, int]] = []
    done: set[int] = set()
    while chosen:  # greedy order among the chosen: the biggest addition first (ties: lower id)
        best = max(sorted(chosen), key=lambda c: weight(covers[c] - done))
        if not weight(covers[best] - done):  # the rest add nothing: not worth proposing
            break
        order.append((best, weight(covers[best] - done)))
        done |= covers[best]
        chosen.discard(best)
    return order


def _published_pairs(conn: Connection, sel: Selection, row_filter: str
                     ) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """Pairs for restricted roles: (candidate, village) when the village's centre is within the
    candidate's radius, and each village's weight = its published uncovered cell (0 when suppressed).
    """
    rows = coverage_rows(conn, sel, "village", True, row_filter)
    index = {r["code"]: i for i, r in enumerate(rows)}
    weights = {i: r["uncovered"] or 0 for i, r in enumerate(rows)}
    reach = conn.execute(text(
        "SELECT c.id, v.code FROM cov_cand c JOIN villages v ON v.retired_at IS NULL "
        f"AND ST_DWithin(ST_PointOnSurface(v.geom), c.geom, c.r / {METRES_PER_DEGREE_MIN!r}) "
        f"AND ST_DWithin(ST_Transform(ST_PointOnSurface(v.geom), {METRIC_SRID}), c.m, c.r)"))
    return [(cand, index[code]) for cand, code in reach if weights.get(index.get(code, -1))], weights


def _radius(body: SuggestRequest, ftype: str, restricted: bool) -> float:
    if restricted and (body.points or body.radius_m is not None):
        raise Forbidden("自选候选点和服务半径仅限有权查看困难群众户的角色；"
                        "其他角色的选址建议使用各村中心点和该类设施的政策服务半径",
                        "own points and radius are for roles that may read households",
                        field="points" if body.points else "radius_m")
    radius = DEFAULTS[ftype].radius_m if restricted or body.radius_m is None else body.radius_m
    if radius is None:
        hint = "" if restricted else "；请给出 radius_m"
        served = {"village": "本村", "township": "整个乡镇", "county": "全市"}.get(DEFAULTS[ftype].scope, "所在单位")
        raise InvalidInput(f"{TYPE_TITLES[ftype]}服务{served}（无服务半径），不能按覆盖半径选址{hint}",
                           "type has no service radius", field="radius_m")
    return float(radius)


def suggest(conn: Connection, body: SuggestRequest | dict[str, Any], restricted: bool = False,
            row_filter: str = "true") -> dict[str, Any]:
    """Proposed sites with the households each newly covers: counts of the rows ``row_filter``
    admits; per village for roles that may read households, published cells only when ``restricted``.
    """
    if isinstance(body, dict):
        body = SuggestRequest.model_validate(body)
    sel = Selection.parse(body.facility_type, body.category, body.method, body.mode)
    if len(sel.facility_types) != 1:
        raise InvalidInput("请只给出一种设施类型", "exactly one facility_type", field="facility_type")
    require_published(restricted, sel)
    ftype = sel.facility_types[0]
    radius = _radius(body, ftype, restricted)
    conn.execute(text(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}"))
    _candidates(conn, body, radius)
    weights: dict[int, int] | None = None
    if restricted:
        pairs, weights = _published_pairs(conn, sel, row_filter)
        demand = sum(weights.values())
    else:
        pairs = _pairs(conn, sel, row_filter)
        demand = conn.execute(text("SELECT count(*) FROM cov_demand")).scalar_one()
    order = solve(pairs, body.k, weights)
    covers: dict[int, set[int]] = defaultdict(set)
    for cand, hh in pairs:
        covers[cand].add(hh)
    sites: list[dict[str, Any]] = []
    done: set[int] = set()
    cumulative = 0
    info = {r.id: r for r in conn.execute(text("SELECT id, code, name, ST_AsGeoJSON(geom, 7, 0) AS g FROM cov_cand"))}
    for rank, (cand, gain) in enumerate(order, start=1):
        new = covers[cand] - done
        done |= new
        shown = None if restricted and is_small(gain) else gain  # cannot happen with published cells; kept as a guard
        cumulative += shown or 0
        site = {"rank": rank, "candidate_id": cand, "village_code": info[cand].code, "name": info[cand].name,
                "geometry": json.loads(info[cand].g), "newly_covered": shown, "suppressed": shown is None,
                "cumulative_covered": cumulative,
                "cumulative_rate_of_uncovered": round(cumulative / demand, 4) if demand else None}
        if not restricted:
            site["newly_covered_by_village"] = _by_village(conn, new)
        sites.append(site)
    conn.execute(text(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}"))
    return {**sel.describe(), "k": body.k, "radius_m": radius, "uncovered_before": demand,
            "candidates": len(info), "sites": sites, "covered_after": cumulative,
            "uncovered_after": demand - cumulative, "published_cells_only": restricted}


def _by_village(conn: Connection, households: set[int]) -> dict[str, int]:
    rows = conn.execute(text("SELECT village_code, count(*) FROM households WHERE id = ANY(:ids) GROUP BY 1 "
                             "ORDER BY 1"), {"ids": sorted(households)})
    return {code: n for code, n in rows}
