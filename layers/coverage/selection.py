"""What a coverage question selects: facility types, household categories, method and mode.

Builds the SQL pieces every analysis shares: the household filter, the facilities CTE (``fac``:
layer, id, type, geom 4490, m = geom in EPSG:4550, r = radius or NULL, scope, township) and the
covered-households CTE (``covered(id)``) of the chosen method. Identifiers come from code (the
facility sources), values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formats.srids import METRIC_SRID
from layers.coverage.methods import METHODS, MODES, NO_ACCESS_CLASSES
from layers.coverage.radii import parse_types, radius_sql, scope_sql, source_of, township_sql, village_sql
from layers.errors import InvalidInput
from layers.households import HOUSEHOLD_CATEGORIES


def parse_categories(value: str | None) -> tuple[str, ...]:
    """Comma-separated household category codes; empty = all assisted households."""
    cats = tuple(dict.fromkeys(c.strip() for c in (value or "").split(",") if c.strip()))
    for c in cats:
        if c not in HOUSEHOLD_CATEGORIES:
            raise InvalidInput(f"没有救助类别“{c}”；可选：{'、'.join(HOUSEHOLD_CATEGORIES)}",
                               f"unknown household category {c!r}", field="category")
    return cats


@dataclass(frozen=True)
class Selection:
    facility_types: tuple[str, ...]
    categories: tuple[str, ...] = ()
    method: str = "euclidean"
    mode: str = "walking"

    @classmethod
    def parse(cls, facility_type: str | None, category: str | None = None, method: str = "euclidean",
              mode: str = "walking") -> Selection:
        if method not in METHODS:
            raise InvalidInput("method 应为 euclidean（直线）或 network（路网）", "method must be euclidean|network",
                               field="method")
        if mode not in MODES:
            raise InvalidInput("mode 应为 walking（步行）或 driving（车行）", "mode must be walking|driving",
                               field="mode")
        return cls(parse_types(facility_type), parse_categories(category), method, mode)

    def params(self) -> dict[str, Any]:
        return {"types": list(self.facility_types), "cats": list(self.categories), "mode": self.mode,
                "no_access": NO_ACCESS_CLASSES}

    def describe(self) -> dict[str, Any]:
        return {"facility_type": list(self.facility_types), "category": list(self.categories) or None,
                "method": self.method, "mode": self.mode if self.method == "network" else None}


# The county's extent (its townships' box; no township loaded: everywhere). Every household scan of a
# coverage question is bounded by it, so that the households' GiST index reads the county's rows only:
# the cost follows the county's households, not a table that holds other counties too (a province).
# A STABLE function (migration 0030), not a sub-select: the planner costs it with the column's statistics
# (as a sub-select it guessed 3 households for 30,000 and a township count took 39 s instead of 0.08 s).
COUNTY_BOX = "gis_county_box()"


def county_households(alias: str = "h") -> str:
    """Active households inside the county's extent (uses the households' GiST index)."""
    return f"{alias}.retired_at IS NULL AND {alias}.geom && {COUNTY_BOX}"


def household_filter(sel: Selection, alias: str = "h") -> str:
    """Active households of the county of the chosen categories (any of them); no category = all."""
    where = county_households(alias)
    if sel.categories:
        where += f" AND {alias}.categories::text[] && CAST(:cats AS text[])"
    return where


def facilities_cte(sel: Selection) -> str:
    """``fac``: the facilities of the chosen types, with radius (NULL = serves a unit), township and village."""
    sources = {source_of(t).layer: source_of(t) for t in sel.facility_types}
    parts = []
    for source in sources.values():
        radius = radius_sql(source)
        parts.append(
            f"SELECT '{source.layer}'::text AS layer, f.id, f.{source.type_column}::text AS type, f.geom, "
            f"ST_Transform(f.geom, {METRIC_SRID}) AS m, {radius} AS r, "
            f"CASE WHEN {radius} IS NULL THEN {scope_sql(source)} END AS scope, {township_sql(source)} AS township, "
            f"{village_sql(source)} AS village "
            f"FROM {source.layer} f WHERE f.retired_at IS NULL AND f.{source.type_column} = ANY(:types)")
    return "fac AS MATERIALIZED (" + " UNION ALL ".join(parts) + ")"


def unit_covered_sql(sel: Selection) -> str:
    """Households covered by unit-serving facilities (their village, their township, or the county)."""
    # uncorrelated sub-selects: hashed sets of villages and townships and a one-time county test, not a scan
    # per household
    return (f"SELECT h.id FROM households h WHERE {household_filter(sel)} AND ("
            "h.village_code IN (SELECT fac.village FROM fac WHERE fac.r IS NULL AND fac.scope = 'village') "
            "OR left(h.village_code, 9) IN (SELECT fac.township FROM fac WHERE fac.r IS NULL "
            "AND fac.scope = 'township') "
            "OR EXISTS (SELECT 1 FROM fac WHERE fac.r IS NULL AND fac.scope = 'county'))")

