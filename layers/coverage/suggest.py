"""Where to build next: k new sites of a facility type that cover the most uncovered households.

The maximal covering location problem (Church & ReVelle 1974), solved exactly with spopt's
``MCLP`` and PuLP's CBC. Demand = the households of the chosen categories that the existing
facilities of the type leave uncovered (same method as the coverage counts); candidates = village
centres (a point on each village polygon) or points the user drew; a candidate covers a household
within the type's default radius (or ``radius_m``), straight-line or over the network (candidates
join the graph as facilities do). Households with the same set of covering candidates form one
demand point weighted by their number (same optimum, a much smaller model). The chosen sites are
then ordered greedily, so each site's ``newly_covered`` is what it adds to those before it.
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from layers.coverage import network
from layers.coverage.radii import DEFAULTS, TYPE_TITLES
from layers.coverage.selection import Selection, covered_ctes, household_filter
from layers.errors import InvalidInput
from layers.inputs import text_or_none
from layers.siting.check import METRES_PER_DEGREE_MIN

MAX_K = 50
MAX_POINTS = 500
TEMP_TABLES = ("cov_cand", "cov_demand", "cov_cand_access", "cov_cand_reach")


def _candidates(conn: Connection, body: dict[str, Any], radius: float) -> None:
    """Fill temp table ``cov_cand`` (layer, id, type, r, geom 4490, m 4550, code, name)."""
    conn.execute(text("CREATE TEMP TABLE cov_cand (layer text, id bigint, type text, r float8, geom geometry, "
                      "m geometry, code text, name text) ON COMMIT DROP"))
    points = body.get("points")
    if points:
        if not isinstance(points, list) or len(points) > MAX_POINTS:
            raise InvalidInput(f"points 应为不超过 {MAX_POINTS} 个 [经度, 纬度] 的列表", "bad points", field="points")
        rows = []
        for i, p in enumerate(points, start=1):
            coords = p.get("coordinates") if isinstance(p, dict) else p
            name = p.get("name") if isinstance(p, dict) else None
            if (not isinstance(coords, list) or len(coords) != 2
                    or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords)
                    or not (121.5 <= coords[0] <= 124.0 and 40.0 <= coords[1] <= 41.7)):
                raise InvalidInput(f"第 {i} 个候选点应为海城范围内的 [经度, 纬度]", f"point {i} is not in Haicheng",
                                   field="points")
            rows.append({"id": i, "x": float(coords[0]), "y": float(coords[1]), "name": name or f"候选点 {i}",
                         "r": radius})
        conn.execute(text("INSERT INTO cov_cand SELECT 'candidate', :id, NULL, :r, "
                          "ST_SetSRID(ST_MakePoint(:x, :y), 4490), "
                          "ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 4550), NULL, :name"), rows)
    else:
        township = body.get("township")
        conn.execute(text(
            "INSERT INTO cov_cand SELECT 'candidate', row_number() OVER (ORDER BY v.code), NULL, :r, p.g, "
            "ST_Transform(p.g, 4550), v.code, v.name FROM villages v CROSS JOIN LATERAL "
            "(SELECT ST_PointOnSurface(v.geom) AS g) p WHERE v.retired_at IS NULL "
            "AND (CAST(:township AS text) IS NULL OR v.township_code = :township)"),
            {"r": radius, "township": township})
    conn.execute(text("ANALYZE cov_cand"))


def _pairs(conn: Connection, sel: Selection) -> list[tuple[int, int]]:
    """(candidate id, household id) for every uncovered household a candidate would cover."""
    params = sel.params()
    conn.execute(text(f"CREATE TEMP TABLE cov_demand ON COMMIT DROP AS WITH {covered_ctes(sel)} "
                      f"SELECT h.id FROM households h WHERE {household_filter(sel)} "
                      "AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = h.id)"), params)
    conn.execute(text("CREATE UNIQUE INDEX ON cov_demand (id)"))
    demand_filter = f"{household_filter(sel)} AND h.id IN (SELECT id FROM cov_demand)"
    if sel.method == "euclidean":
        sql = (f"SELECT c.id, h.id FROM cov_cand c JOIN households h ON ST_DWithin(h.geom, c.geom, "
               f"c.r / {METRES_PER_DEGREE_MIN!r}) AND ST_DWithin(ST_Transform(h.geom, 4550), c.m, c.r) "
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


def solve(pairs: list[tuple[int, int]], k: int) -> list[tuple[int, int]]:
    """The MCLP optimum for ``k`` sites, as (candidate, newly covered) in greedy order.

    >>> solve([(1, 10), (1, 11), (2, 11), (2, 12), (3, 12)], 2)
    [(1, 2), (2, 1)]
    >>> solve([(1, 1), (2, 1), (2, 2)], 5)
    [(2, 2)]
    >>> solve([], 3)
    []
    """
    import pulp
    from spopt.locate import MCLP

    covers: dict[int, set[int]] = defaultdict(set)
    for cand, hh in pairs:
        covers[cand].add(hh)
    if not covers:
        return []
    cands = sorted(covers)
    groups: dict[frozenset[int], int] = defaultdict(int)
    by_household: dict[int, set[int]] = defaultdict(set)
    for cand, hh in pairs:
        by_household[hh].add(cand)
    for cset in by_household.values():
        groups[frozenset(cset)] += 1
    keys = list(groups)
    if k >= len(cands):
        chosen = set(cands)
    else:
        index = {c: j for j, c in enumerate(cands)}
        cost = np.ones((len(keys), len(cands)))
        for i, group in enumerate(keys):
            cost[i, [index[c] for c in group]] = 0.0
        weights = np.array([groups[key] for key in keys], dtype=float)
        with warnings.catch_warnings():  # PuLP 3.3 announces its 4.0 API on every variable
            warnings.simplefilter("ignore", DeprecationWarning)
            model = MCLP.from_cost_matrix(cost, weights, service_radius=0.5, p_facilities=k, name="coverage_mclp")
            model.solve(pulp.PULP_CBC_CMD(msg=False))
        chosen = {cands[j] for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5}
    order: list[tuple[int, int]] = []
    done: set[int] = set()
    while chosen:  # greedy order among the chosen: the biggest addition first (ties: lower id)
        best = max(sorted(chosen), key=lambda c: len(covers[c] - done))
        if not covers[best] - done:  # the rest add nothing: not worth proposing
            break
        order.append((best, len(covers[best] - done)))
        done |= covers[best]
        chosen.discard(best)
    return order


def suggest(conn: Connection, body: dict[str, Any], by_village: bool) -> dict[str, Any]:
    """Proposed sites with the households each newly covers (counts; per village when ``by_village``)."""
    sel = Selection.parse(text_or_none(body, "facility_type"), text_or_none(body, "category"),
                          text_or_none(body, "method") or "euclidean", text_or_none(body, "mode") or "walking")
    if len(sel.facility_types) != 1:
        raise InvalidInput("请只给出一种设施类型", "exactly one facility_type", field="facility_type")
    ftype = sel.facility_types[0]
    k = body.get("k")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"k 应为 1–{MAX_K} 的整数", "k must be an integer in 1..50", field="k")
    radius = body.get("radius_m", DEFAULTS[ftype].radius_m)
    if radius is None:
        raise InvalidInput(f"{TYPE_TITLES[ftype]}服务整个乡镇（无服务半径），不能按覆盖半径选址；请给出 radius_m",
                           "type has no service radius", field="radius_m")
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 < radius <= 20_000:
        raise InvalidInput("radius_m 应为 0–20,000 m", "radius_m must be in (0, 20000]", field="radius_m")
    conn.execute(text(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}"))
    _candidates(conn, body, float(radius))
    pairs = _pairs(conn, sel)
    demand = conn.execute(text("SELECT count(*) FROM cov_demand")).scalar_one()
    order = solve(pairs, k)
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
        cumulative += gain
        site = {"rank": rank, "candidate_id": cand, "village_code": info[cand].code, "name": info[cand].name,
                "geometry": json.loads(info[cand].g), "newly_covered": gain, "cumulative_covered": cumulative,
                "cumulative_rate_of_uncovered": round(cumulative / demand, 4) if demand else None}
        if by_village:
            site["newly_covered_by_village"] = _by_village(conn, new)
        sites.append(site)
    conn.execute(text(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}"))
    return {**sel.describe(), "k": k, "radius_m": float(radius), "uncovered_before": demand,
            "candidates": len(info), "sites": sites, "covered_after": cumulative,
            "uncovered_after": demand - cumulative}


def _by_village(conn: Connection, households: set[int]) -> dict[str, int]:
    rows = conn.execute(text("SELECT village_code, count(*) FROM households WHERE id = ANY(:ids) GROUP BY 1 "
                             "ORDER BY 1"), {"ids": sorted(households)})
    return {code: n for code, n in rows}
