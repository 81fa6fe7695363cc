"""Village coverage by public cemeteries and the plots each village needs.

《殡葬管理条例》 Art. 9: a rural public cemetery serves its own villagers. A village (村委会) is covered by
a serving public cemetery of its own (``cemeteries.village_code``), or by one whose recorded agreement
names it (``serves_villages`` with a ``service_agreement`` document number) — never because a cemetery
lies near it. Urban communities (社区, 居委会) are served by the urban public cemeteries and columbaria
(公墓、骨灰堂): they are counted apart and are never "villages without a cemetery".
Plots needed = population × death rate × cycle years × public share (DOMAIN.md §5), rounded up; each
cemetery's remaining capacity is set against the total need of the villages it serves. Parameters:
shipped defaults ← county row ← village row (``siting_parameters``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, text

from layers.cemeteries import CEMETERY_STATUS, CEMETERY_TYPES
from layers.errors import InvalidInput
from layers.roles import Actor
from layers.siting.rules import shipped

NUMERIC = {"death_rate": (0.0, 0.1), "cycle_years": (1.0, 100.0), "public_share": (0.0, 1.0)}
COUNTY_ONLY = {"serving_statuses": CEMETERY_STATUS, "public_types": CEMETERY_TYPES}
COUNTY = "county"
RURAL = "village"  # villages.kind of a 村委会; 社区 and 居委会 are urban
URBAN_TYPES = ("urban_public", "columbarium")  # who serves urban communities


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
    """Each scope's stored values of the parameters that exist (a retired one, e.g. the former distance within
    which a neighbouring village's cemetery counted, is ignored).
    """
    known = {*NUMERIC, *COUNTY_ONLY}
    return {r.scope: {k: v for k, v in r.params.items() if k in known}
            for r in conn.execute(text("SELECT scope, params FROM siting_parameters"))}


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
    SELECT code, name, township_code, population, coalesce(kind, 'village') AS kind,
           ST_PointOnSurface(geom) AS at  -- where the map marks an uncovered village at any zoom
    FROM villages WHERE retired_at IS NULL AND (CAST(:township AS text) IS NULL OR township_code = :township)),
serving AS (
    SELECT id, village_code, serves_villages, service_agreement, cemetery_type,
           coalesce(plots_total - coalesce(plots_used, 0), 0) AS free
    FROM cemeteries WHERE retired_at IS NULL AND cemetery_type = ANY(:types) AND status = ANY(:statuses))
SELECT v.code, v.name, v.township_code, v.population, v.kind, ST_X(v.at) AS lon, ST_Y(v.at) AS lat, own.id AS own_id,
       agreed.id AS agreed_id, agreed.service_agreement AS agreement
FROM v
LEFT JOIN LATERAL (
    SELECT c.id FROM serving c WHERE c.village_code = v.code ORDER BY c.free DESC, c.id LIMIT 1) own ON true
LEFT JOIN LATERAL (  -- Art. 9: another village's cemetery only by a recorded agreement naming this village
    SELECT c.id, c.service_agreement FROM serving c
    WHERE c.serves_villages @> ARRAY[v.code]::varchar[] AND nullif(btrim(c.service_agreement), '') IS NOT NULL
    ORDER BY c.free DESC, c.id LIMIT 1) agreed ON true
ORDER BY v.code
"""


def coverage(conn: Connection, township: str | None = None) -> dict[str, Any]:
    """Per village: covered by which cemetery (its own or by agreement), plots needed; uncovered villages; rates
    per township; urban communities apart (served by urban public cemeteries and columbaria).
    """
    stored = stored_parameters(conn)
    county = {**default_parameters(), **stored.get(COUNTY, {})}
    rows = conn.execute(text(_SQL), {"township": township, "types": county["public_types"],
                                     "statuses": county["serving_statuses"]}).all()
    urban_ids = conn.execute(text(
        "SELECT id FROM cemeteries WHERE retired_at IS NULL AND cemetery_type = ANY(:types) "
        "AND cemetery_type = ANY(:urban) AND status = ANY(:statuses) ORDER BY id"),
        {"types": county["public_types"], "urban": list(URBAN_TYPES), "statuses": county["serving_statuses"]}
    ).scalars().all()
    villages, communities = [], []
    for r in rows:
        params = {**county, **stored.get(r.code, {})}
        entry = {"code": r.code, "name": r.name, "township_code": r.township_code, "population": r.population,
                 "plots_needed": plots_needed(r.population, params)}
        if r.kind != RURAL:
            communities.append({**entry, "kind": r.kind, "covered": bool(urban_ids)})
            continue
        cemetery_id = r.own_id if r.own_id is not None else r.agreed_id
        villages.append({**entry, "lon": r.lon, "lat": r.lat, "covered": cemetery_id is not None,
                         "cemetery_id": cemetery_id,
                         "served_by": "own" if r.own_id is not None else "agreement" if r.agreed_id else None,
                         "agreement": r.agreement if r.own_id is None else None})
    _capacity(conn, villages)
    return {"parameters": county, "villages": villages,
            "uncovered": [{k: v[k] for k in ("code", "name", "township_code", "lon", "lat")}
                          for v in villages if not v["covered"]],
            "townships": _rates(conn, villages), "county": _rate(villages),
            "communities": {"count": len(communities), "served_by_cemeteries": list(urban_ids),
                            "covered": sum(c["covered"] for c in communities), "items": communities}}


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
