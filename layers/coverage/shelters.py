"""Shelters: capacity against the people and assisted households within each service area.

Capacity is the recorded ``capacity``, else usable area / 1.5 m² per person (GB 21734-2008:
> 1.5 m² per person), else unknown. People within a service area are estimated from the village
populations (``villages.population``), each village counted by the share of its area inside the
straight-line service area (EPSG:4550) — uniform density within a village, an assumption stated
with the result. Assisted households and their members are counted exactly (distance ≤ radius).
A person within reach of two shelters counts for both: "over capacity" means the people within
reach exceed what the shelter holds. Villages no shelter's area touches are "areas with none".
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID
from layers.coverage.selection import Selection, facilities_cte
from layers.facilities import AREA_PER_PERSON_M2, SHELTER_TYPES
from layers.siting.check import METRES_PER_DEGREE_MIN

ASSUMPTION = ("服务区人口按村（社区）户籍人口 × 村域落入服务区的面积比例估算（假定村内人口均匀分布）；"
              "容量 = 登记容纳人数，未登记时 = 有效避难面积 ÷ 1.5 m²/人（GB 21734-2008）")


def _sel() -> Selection:
    return Selection(tuple(SHELTER_TYPES))


def shelter_capacity(conn: Connection, restricted: bool = False, row_filter: str = "true") -> list[dict[str, Any]]:
    """One row per shelter: capacity, people and assisted households in its service area, over capacity.

    Households count the rows ``row_filter`` admits; ``restricted`` roles get no household counts (a
    service area is a circle, not a published village cell: ``disclosure``), only the population estimate.
    """
    sql = f"""
        WITH {facilities_cte(_sel())},
        area AS MATERIALIZED (SELECT fac.*, ST_Buffer(fac.m, fac.r, 'quad_segs=16') AS buf FROM fac)
        SELECT s.id, s.name, s.shelter_type, s.shelter_class, s.level, a.r AS radius_m, s.usable_area_m2,
               coalesce(s.capacity, floor(s.usable_area_m2 / :per_person)::int) AS capacity,
               CASE WHEN s.capacity IS NOT NULL THEN 'recorded'
                    WHEN s.usable_area_m2 IS NOT NULL THEN 'area' END AS capacity_basis,
               (SELECT round(coalesce(sum(v.population * ST_Area(ST_Intersection(vm.g, a.buf))
                                          / nullif(ST_Area(vm.g), 0)), 0))::int
                FROM villages v CROSS JOIN LATERAL (SELECT ST_Transform(v.geom, {METRIC_SRID}) AS g) vm
                WHERE v.retired_at IS NULL AND ST_DWithin(v.geom, a.geom, a.r / {METRES_PER_DEGREE_MIN!r})
                  AND ST_Intersects(vm.g, a.buf)) AS population_est,
               hh.households, hh.members
        FROM area a JOIN shelters s ON s.id = a.id
        CROSS JOIN LATERAL (
            SELECT count(*) AS households, coalesce(sum(h.members), 0) AS members FROM households h
            WHERE h.retired_at IS NULL AND {row_filter} AND ST_DWithin(h.geom, a.geom, a.r / {METRES_PER_DEGREE_MIN!r})
              AND ST_DWithin(ST_Transform(h.geom, {METRIC_SRID}), a.m, a.r)) hh
        ORDER BY s.id"""
    out = []
    for row in conn.execute(text(sql), {"types": list(SHELTER_TYPES), "per_person": AREA_PER_PERSON_M2}):
        r = dict(row._mapping)
        capacity, people = r["capacity"], r["population_est"]
        r["load"] = round(people / capacity, 3) if capacity else None
        r["over_capacity"] = bool(capacity is not None and people > capacity)
        r["shortfall"] = max(people - capacity, 0) if capacity is not None else None
        # a recorded capacity above what the usable area allows (1.5 m² a person) is overstated
        area_limit = int(r["usable_area_m2"] // AREA_PER_PERSON_M2) if r["usable_area_m2"] is not None else None
        r["capacity_overstated"] = bool(r["capacity_basis"] == "recorded" and area_limit is not None
                                        and capacity > area_limit)
        r["capacity_by_area"] = area_limit
        if restricted:
            r.update(households=None, members=None)
        out.append(r)
    return out


def areas_without_shelter(conn: Connection) -> dict[str, Any]:
    """Villages no shelter's service area reaches, as GeoJSON (units only, no personal data), and
    townships with no shelter inside them.
    """
    sql = f"""
        WITH {facilities_cte(_sel())}
        SELECT v.code, v.name, v.township_code, v.population, ST_AsGeoJSON(v.geom, 6, 0) AS geometry
        FROM villages v WHERE v.retired_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM fac WHERE ST_DWithin(v.geom, fac.geom, fac.r / {METRES_PER_DEGREE_MIN!r})
              AND ST_DWithin(ST_Transform(v.geom, {METRIC_SRID}), fac.m, fac.r))
        ORDER BY v.code"""
    features = [{"type": "Feature", "id": r.code, "geometry": json.loads(r.geometry),
                 "properties": {"code": r.code, "name": r.name, "township_code": r.township_code,
                                "population": r.population}}
                for r in conn.execute(text(sql), {"types": list(SHELTER_TYPES)})]
    townships = [dict(r._mapping) for r in conn.execute(text(
        "SELECT t.code, t.name FROM townships t WHERE t.retired_at IS NULL AND NOT EXISTS ("
        "SELECT 1 FROM shelters s WHERE s.retired_at IS NULL AND ST_Intersects(s.geom, t.geom)) ORDER BY t.code"))]
    return {"villages": {"type": "FeatureCollection", "features": features},
            "townships_without_shelter": townships, "assumption": ASSUMPTION}

