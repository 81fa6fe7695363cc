"""Village coverage by public cemeteries and the plots each village needs.

A village is covered by a serving public cemetery of its own (``cemeteries.village_code``), or else
by the nearest one within ``share_distance_m`` of the village centre (a point on its surface),
measured in EPSG:4550. Plots needed = population × death rate × cycle years × public share
(DOMAIN.md §5), rounded up; each cemetery's remaining capacity is set against the total need of the
villages it serves. Parameters: shipped defaults ← county row ← village row (``siting_parameters``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, text

from layers.cemeteries import CEMETERY_STATUS, CEMETERY_TYPES
from layers.errors import InvalidInput
from layers.features import Actor
from layers.siting.check import METRES_PER_DEGREE_MIN
from layers.siting.rules import shipped

NUMERIC = {"death_rate": (0.0, 0.1), "cycle_years": (1.0, 100.0), "public_share": (0.0, 1.0),
           "share_distance_m": (0.0, 50_000.0)}
COUNTY_ONLY = {"serving_statuses": CEMETERY_STATUS, "public_types": CEMETERY_TYPES}
COUNTY = "county"


def default_parameters() -> dict[str, Any]:
    return {k: v for k, v in shipped()["coverage"].items() if k != "basis"}


def validate_parameters(raw: Any, scope: str) -> dict[str, Any]:
    """Check a (partial) parameter set; lists of statuses/types only at county scope."""
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput("参数应为非空对象", "parameters must be a non-empty object")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name in NUMERIC:
            low, high = NUMERIC[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise InvalidInput(f"参数 {name} 应在 {low:g}–{high:g} 之间", f"{name} out of range", field=name)
            out[name] = float(value)
        elif name in COUNTY_ONLY and scope == COUNTY:
            allowed = COUNTY_ONLY[name]
            if not isinstance(value, list) or not value or any(v not in allowed for v in value):
                raise InvalidInput(f"参数 {name} 应为以下取值的列表：{'、'.join(allowed)}", f"bad {name}", field=name)
            out[name] = list(value)
        else:
            raise InvalidInput(f"未知或不可在此设置的参数“{name}”", f"unknown parameter {name!r}", field=name)
    return out


def stored_parameters(conn: Connection) -> dict[str, dict[str, Any]]:
    return {r.scope: r.params for r in conn.execute(text("SELECT scope, params FROM siting_parameters"))}


def county_parameters(conn: Connection) -> dict[str, Any]:
    return {**default_parameters(), **stored_parameters(conn).get(COUNTY, {})}


def set_parameters(conn: Connection, scope: str, raw: Any, actor: Actor) -> dict[str, Any]:
    """Merge ``raw`` into the stored parameters of ``scope`` (``county`` or a village code)."""
    if scope != COUNTY and conn.execute(text("SELECT 1 FROM villages WHERE code = :c AND retired_at IS NULL"),
                                        {"c": scope}).first() is None:
        raise InvalidInput(f"没有区划代码为 {scope} 的村（社区）", f"unknown village {scope}", field="village_code")
    values = validate_parameters(raw, scope)
    conn.execute(text(
        "INSERT INTO siting_parameters (scope, params, updated_by) VALUES (:scope, CAST(:p AS jsonb), :by) "
        "ON CONFLICT (scope) DO UPDATE SET params = siting_parameters.params || EXCLUDED.params, "
        "updated_at = now(), updated_by = EXCLUDED.updated_by"),
        {"scope": scope, "p": json.dumps(values), "by": actor.name})
    return stored_parameters(conn)[scope]


def plots_needed(population: int | None, params: dict[str, Any]) -> int | None:
    """Population × death rate × cycle × public share, rounded up.

    >>> plots_needed(1000, {"death_rate": 0.007, "cycle_years": 20, "public_share": 1.0})
    140
    >>> plots_needed(None, {}) is None
    True
    """
    if population is None:
        return None
    return math.ceil(population * params["death_rate"] * params["cycle_years"] * params["public_share"] - 1e-9)


_SQL = """
WITH v AS (
    SELECT code, name, township_code, population, ST_PointOnSurface(geom) AS c
    FROM villages WHERE retired_at IS NULL AND (CAST(:township AS text) IS NULL OR township_code = :township))
SELECT v.code, v.name, v.township_code, v.population, own.id AS own_id, near.id AS near_id, near.d,
       coalesce(own.id, near.id) AS cemetery_id
FROM v
LEFT JOIN LATERAL (
    SELECT c.id FROM cemeteries c
    WHERE c.retired_at IS NULL AND c.village_code = v.code AND c.cemetery_type = ANY(:types)
      AND c.status = ANY(:statuses)
    ORDER BY coalesce(c.plots_total - coalesce(c.plots_used, 0), 0) DESC, c.id LIMIT 1) own ON true
LEFT JOIN LATERAL (
    SELECT c.id, ST_Distance(ST_Transform(c.geom, 4550), ST_Transform(v.c, 4550)) AS d FROM cemeteries c
    WHERE c.retired_at IS NULL AND c.cemetery_type = ANY(:types) AND c.status = ANY(:statuses)
      AND ST_DWithin(c.geom, v.c, :reach)
    ORDER BY d, c.id LIMIT 1) near ON true
ORDER BY v.code
"""


def coverage(conn: Connection, township: str | None = None) -> dict[str, Any]:
    """Per village: covered by which cemetery, plots needed; uncovered villages; rates per township."""
    stored = stored_parameters(conn)
    county = {**default_parameters(), **stored.get(COUNTY, {})}
    reach = max([county["share_distance_m"], *(p.get("share_distance_m", 0) for p in stored.values())])
    rows = conn.execute(text(_SQL), {"township": township, "types": county["public_types"],
                                     "statuses": county["serving_statuses"],
                                     "reach": reach / METRES_PER_DEGREE_MIN + 1e-6}).all()
    villages = []
    for r in rows:
        params = {**county, **stored.get(r.code, {})}
        shared = r.own_id is None and r.near_id is not None and r.d <= params["share_distance_m"]
        cemetery_id = r.own_id if r.own_id is not None else (r.near_id if shared else None)
        villages.append({
            "code": r.code, "name": r.name, "township_code": r.township_code, "population": r.population,
            "covered": cemetery_id is not None, "served_by": "own" if r.own_id is not None else (
                "shared" if shared else None),
            "cemetery_id": cemetery_id, "distance_to_cemetery_m": round(r.d, 1) if shared else None,
            "plots_needed": plots_needed(r.population, params),
        })
    _capacity(conn, villages)
    return {"parameters": county, "villages": villages,
            "uncovered": [{"code": v["code"], "name": v["name"], "township_code": v["township_code"]}
                          for v in villages if not v["covered"]],
            "townships": _rates(conn, villages), "county": _rate(villages)}


def _capacity(conn: Connection, villages: list[dict[str, Any]]) -> None:
    """Set each cemetery's remaining plots against the total need of the villages it serves."""
    ids = sorted({v["cemetery_id"] for v in villages if v["cemetery_id"] is not None})
    cemeteries = {r.id: r for r in conn.execute(text(
        "SELECT id, name, plots_total, plots_used FROM cemeteries WHERE id = ANY(:ids)"), {"ids": ids})}
    demand: dict[int, int] = defaultdict(int)
    for v in villages:
        if v["cemetery_id"] is not None:
            demand[v["cemetery_id"]] += v["plots_needed"] or 0
    for v in villages:
        c = cemeteries.get(v["cemetery_id"])
        if c is None:
            v.update(cemetery=None, capacity_status="uncovered")
            continue
        remaining = None if c.plots_total is None else c.plots_total - (c.plots_used or 0)
        v["cemetery"] = {"layer": "cemeteries", "id": c.id, "name": c.name, "plots_remaining": remaining,
                         "plots_needed_by_all_served": demand[c.id]}
        v["capacity_status"] = ("unknown" if remaining is None else
                                "sufficient" if remaining >= demand[c.id] else "insufficient")


def _rate(villages: list[dict[str, Any]]) -> dict[str, Any]:
    covered = sum(v["covered"] for v in villages)
    return {"villages": len(villages), "covered": covered,
            "coverage_rate": round(covered / len(villages), 4) if villages else None}


def _rates(conn: Connection, villages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {r[0]: r[1] for r in conn.execute(text("SELECT code, name FROM townships WHERE retired_at IS NULL"))}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in villages:
        groups[v["township_code"]].append(v)
    return [{"code": code, "name": names.get(code), **_rate(group)} for code, group in sorted(groups.items())]
