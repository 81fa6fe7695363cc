"""Coverage counts per village or township, the uncovered households, and the choropleth data.

Counts are aggregates anyone signed in may read; for roles that may not read households, cells
with 1–4 households are suppressed (``layers.households.SUPPRESS_BELOW``), and so are covered /
uncovered counts of 1–4 (they would single out households; the rate goes with them).
Household lists are personal data: the caller (the HTTP layer) checks the role and limits rows with
``visible_rows_sql``; listed features are masked (``layers.listed``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from layers.coverage.selection import Selection, covered_ctes, household_filter
from layers.features import listed_feature_sql, listed_join
from layers.households import SUPPRESS_BELOW
from layers.registry import LayerSpec

UNITS = {"village": ("villages", "h.village_code"), "township": ("townships", "left(h.village_code, 9)")}


def _suppressed(value: int) -> bool:
    return 0 < value < SUPPRESS_BELOW


def disclose(row: dict[str, Any], suppress: bool) -> dict[str, Any]:
    """Apply small-cell suppression to one row with households / covered counts; adds uncovered and rate."""
    households, covered = row["households"], row["covered"]
    uncovered = households - covered
    out = {**row, "uncovered": uncovered, "rate": round(covered / households, 4) if households else None,
           "suppressed": False}
    if suppress and (_suppressed(households) or _suppressed(covered) or _suppressed(uncovered)):
        out.update(covered=None, uncovered=None, rate=None, suppressed=True)
        if _suppressed(households):
            out["households"] = None
    return out


def coverage_rows(conn: Connection, sel: Selection, by: str, suppress: bool) -> list[dict[str, Any]]:
    """Rows ``{code, name, households, covered, uncovered, rate, suppressed}`` per village or township."""
    units, key = UNITS[by]
    parent = ", u.township_code" if by == "village" else ", NULL::text"
    sql = (f"WITH {covered_ctes(sel)} "
           f"SELECT u.code, u.name{parent} AS township_code, count(h.id) AS households, count(c.id) AS covered "
           f"FROM {units} u LEFT JOIN households h ON {key} = u.code AND {household_filter(sel)} "
           "LEFT JOIN covered c ON c.id = h.id WHERE u.retired_at IS NULL "
           "GROUP BY 1, 2, 3 ORDER BY u.code")
    return [disclose(dict(r._mapping), suppress) for r in conn.execute(text(sql), sel.params())]


def totals(conn: Connection, sel: Selection, suppress: bool) -> dict[str, Any]:
    """County totals (suppressed like any other cell when tiny)."""
    sql = (f"WITH {covered_ctes(sel)} SELECT count(h.id) AS households, count(c.id) AS covered "
           f"FROM households h LEFT JOIN covered c ON c.id = h.id WHERE {household_filter(sel)}")
    row = dict(conn.execute(text(sql), sel.params()).one()._mapping)
    return disclose({"code": "210381", "name": "海城市", **row}, suppress)


def uncovered_features(conn: Connection, sel: Selection, spec: LayerSpec, row_filter: str | None,
                       village: str | None, limit: int | None, offset: int) -> dict[str, Any]:
    """Uncovered households as a GeoJSON FeatureCollection (masked, as every list)."""
    where = household_filter(sel, "t")
    params: dict[str, Any] = {**sel.params(), "limit": limit, "offset": offset}
    if row_filter:
        where += f" AND ({row_filter})"
    if village:
        where += " AND (t.village_code = :village OR left(t.village_code, 9) = :village)"
        params["village"] = village
    sql = (f"WITH {covered_ctes(sel)}, page AS (SELECT t.*, count(*) OVER () AS matched FROM households t "
           f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = t.id) "
           "ORDER BY t.village_code, t.id LIMIT :limit OFFSET :offset) "
           "SELECT coalesce(max(p.matched), 0), count(*), "
           f"coalesce(string_agg({listed_feature_sql(spec, 'p')}, ',' ORDER BY p.village_code, p.id), '') "
           f"FROM page p {listed_join(spec, 'p')}")
    matched, returned, features = conn.execute(text(sql), params).one()
    if matched == 0 and offset > 0:  # past the end: the window saw no row; count separately
        matched = conn.execute(text(f"WITH {covered_ctes(sel)} SELECT count(*) FROM households t WHERE {where} "
                                    "AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = t.id)"), params).scalar_one()
    return {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": returned,
            "features": json.loads(f"[{features}]")}


def village_choropleth(conn: Connection, sel: Selection, suppress: bool) -> dict[str, Any]:
    """Villages as GeoJSON with households / covered / uncovered counts (suppressed as above)."""
    rows = {r["code"]: r for r in coverage_rows(conn, sel, "village", suppress)}
    shapes = conn.execute(text("SELECT code, ST_AsGeoJSON(geom, 6, 0) FROM villages WHERE retired_at IS NULL "
                               "ORDER BY code"))
    features = []
    for code, geometry in shapes:
        row = rows.get(code)
        if row is None:
            continue
        features.append({"type": "Feature", "id": code, "geometry": json.loads(geometry), "properties": row})
    return {"type": "FeatureCollection", "features": features, "suppressed_below": SUPPRESS_BELOW}
