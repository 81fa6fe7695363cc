"""Coverage counts per village or township, the uncovered households, and the choropleth data.

Counts follow ``layers.coverage.disclosure``: each role counts the rows it may list (``row_filter``);
for restricted roles (who may not read households) village cells of 1–4 and their complements are
suppressed and township / county rows are sums of the published village cells.
Household lists are personal data: the caller (the HTTP layer) checks the role and limits rows with
``visible_rows_sql``; listed features are masked (``layers.listed``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from layers.coverage.covered import covered_ctes
from layers.coverage.disclosure import SUPPRESS_BELOW, roll_up, sum_published, village_cell
from layers.coverage.selection import Selection, county_households, household_filter
from layers.features import listed_feature_sql, listed_join
from layers.registry import LayerSpec

UNITS = {"village": ("villages", "h.village_code"), "township": ("townships", "left(h.village_code, 9)")}
COUNTY = {"code": "210381", "name": "海城市"}


def _exact_rows(conn: Connection, sel: Selection | None, by: str, row_filter: str) -> list[dict[str, Any]]:
    """Exact counts per unit of the rows ``row_filter`` admits; with ``sel``, also the covered ones."""
    sql = exact_rows_sql(sel, by, row_filter)
    return [dict(r._mapping) for r in conn.execute(text(sql), sel.params() if sel else {})]


def exact_rows_sql(sel: Selection | None, by: str, row_filter: str = "true") -> str:
    """The statement of ``_exact_rows`` (its plan is tested: the households are read through an index)."""
    units, key = UNITS[by]
    parent = ", u.township_code" if by == "village" else ", NULL::text"
    households = household_filter(sel) if sel else county_households()
    covered = (", count(c.id) AS covered", "LEFT JOIN covered c ON c.id = h.id ") if sel else ("", "")
    return (f"{f'WITH {covered_ctes(sel)} ' if sel else ''}"
            f"SELECT u.code, u.name{parent} AS township_code, count(h.id) AS households{covered[0]} "
            f"FROM {units} u LEFT JOIN households h ON {key} = u.code AND {households} AND {row_filter} "
            f"{covered[1]}WHERE u.retired_at IS NULL GROUP BY 1, 2, 3 ORDER BY u.code")


def coverage_rows(conn: Connection, sel: Selection | None, by: str, restricted: bool,
                  row_filter: str = "true") -> list[dict[str, Any]]:
    """Rows ``{code, name, township_code, households, covered, uncovered, rate, suppressed}`` per
    village or township (without ``sel``: households only — the household summary).

    ``row_filter``: the households the caller may count (``Audience.row_filter``); ``restricted``:
    the caller sees published cells only, a township is the sum of its published villages.
    """
    if by == "township" and restricted:
        villages = coverage_rows(conn, sel, "village", restricted, row_filter)
        areas = conn.execute(text("SELECT code, name, NULL::text AS township_code FROM townships "
                                  "WHERE retired_at IS NULL ORDER BY code"))
        return roll_up(villages, [dict(a._mapping) for a in areas], "township_code")
    return [village_cell(row, restricted) for row in _exact_rows(conn, sel, by, row_filter)]


def totals(conn: Connection, sel: Selection, restricted: bool, row_filter: str = "true") -> dict[str, Any]:
    """County totals: exact for roles that may read households, else the sum of the published villages."""
    if restricted:
        return sum_published(coverage_rows(conn, sel, "village", True, row_filter), COUNTY)
    sql = (f"WITH {covered_ctes(sel)} SELECT count(h.id) AS households, count(c.id) AS covered "
           f"FROM households h LEFT JOIN covered c ON c.id = h.id WHERE {household_filter(sel)} AND {row_filter}")
    return village_cell({**COUNTY, **conn.execute(text(sql), sel.params()).one()._mapping}, False)


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


def village_choropleth(conn: Connection, sel: Selection, restricted: bool, row_filter: str = "true") -> dict[str, Any]:
    """Villages as GeoJSON with households / covered / uncovered counts (suppressed as above)."""
    rows = {r["code"]: r for r in coverage_rows(conn, sel, "village", restricted, row_filter)}
    shapes = conn.execute(text("SELECT code, ST_AsGeoJSON(geom, 6, 0) FROM villages WHERE retired_at IS NULL "
                               "ORDER BY code"))
    features = []
    for code, geometry in shapes:
        row = rows.get(code)
        if row is None:
            continue
        features.append({"type": "Feature", "id": code, "geometry": json.loads(geometry), "properties": row})
    return {"type": "FeatureCollection", "features": features, "suppressed_below": SUPPRESS_BELOW}
