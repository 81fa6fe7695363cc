"""Straight-line coverage: a household is covered when its distance to a facility of the type, in
EPSG:4550, is ≤ that facility's radius (or when a unit-serving facility serves its township).

The join runs from each facility into the households' GiST index (4490) with a degree prefilter of
r / 83,000 — 1° is ≥ 83.9 km anywhere in the county, so the box never misses a household — and
then the exact test ``ST_DWithin`` in EPSG:4550 (differs from geodesic by ≤ 0.002 %).

Straight-line service areas for the map are buffers in EPSG:4550 (``refresh.py`` stores them).
"""

from __future__ import annotations

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.coverage.selection import Selection, household_filter, unit_covered_sql
from layers.siting.check import METRES_PER_DEGREE_MIN


def covered_sql(sel: Selection) -> str:
    """``SELECT id`` of the covered households (needs the ``fac`` CTE)."""
    return (f"SELECT DISTINCT h.id FROM fac JOIN households h "
            f"ON ST_DWithin(h.geom, fac.geom, fac.r / {METRES_PER_DEGREE_MIN!r}) "
            f"AND ST_DWithin(ST_Transform(h.geom, {METRIC_SRID}), fac.m, fac.r) "
            f"WHERE fac.r IS NOT NULL AND {household_filter(sel)} "
            f"UNION {unit_covered_sql(sel)}")


def buffer_sql(alias: str = "fac") -> str:
    """The straight-line service area of a facility row as a 4490 MultiPolygon (NULL for unit-serving)."""
    return f"ST_Multi(ST_Transform(ST_Buffer({alias}.m, {alias}.r, 'quad_segs=16'), {STORAGE_SRID}))"
