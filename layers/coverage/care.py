"""Care facilities: beds, residents, occupancy; 特困 集中供养 capacity against demand per township.

集中供养 (central support) of 特困 persons happens in 敬老院 and regional elderly-care centres (县级
特困供养服务机构); ``CENTRAL_SUPPORT_TYPES`` says which types count, the county welfare centre is
reported once for the whole city. Demand per township = households in category ``tekun_central``
and their 特困 persons (``special_care_persons``, NULL = 1, never more than the members): only the
特困 person is housed, not the rest of the household (《社会救助暂行办法》 Art. 14: 特困人员供养 is
given to the person). Balance = beds − demand persons.
Demand counts the households the caller may list; for roles that may not read households it is
suppressed when it, or the rest of the township's households, is 1–4 (``disclosure`` rule 4).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.coverage.disclosure import part_of_whole
from layers.facilities import CARE_TYPES

CENTRAL_SUPPORT_TYPES = ("nursing_home", "regional_center")
COUNTY_TYPES = ("welfare_center",)
BASIS = ("特困人员集中供养由敬老院、区域养老服务中心承担（项目默认，可调整）；"
         "需求 = “特困（集中供养）”户的特困人员数（未填按 1 人，《社会救助暂行办法》第十四条）；社会福利中心按全市计")


def facility_occupancy(conn: Connection, facility_type: str | None = None) -> list[dict[str, Any]]:
    """Every care facility with beds, residents and occupancy (residents / beds)."""
    where = "f.retired_at IS NULL" + (" AND f.facility_type = :t" if facility_type else "")
    rows = conn.execute(text(
        "SELECT f.id, f.name, f.facility_type, f.beds, f.residents, coalesce(f.township_code, left(f.village_code, 9)) "
        f"AS township_code, f.village_code FROM care_facilities f WHERE {where} ORDER BY f.facility_type, f.id"),
        {"t": facility_type})
    out = []
    for row in rows:
        r = dict(row._mapping)
        r["type_title"] = CARE_TYPES.get(r["facility_type"], r["facility_type"])
        r["occupancy"] = round(r["residents"] / r["beds"], 3) if r["beds"] and r["residents"] is not None else None
        r["free_beds"] = r["beds"] - r["residents"] if r["beds"] is not None and r["residents"] is not None else None
        out.append(r)
    return out


def central_support_by_township(conn: Connection, restricted: bool = False, row_filter: str = "true"
                                 ) -> dict[str, Any]:
    """Per township: beds, residents and free beds of the central-support types against 特困 demand."""
    rows = conn.execute(text(f"""
        WITH beds AS (
            SELECT coalesce(f.township_code, left(f.village_code, 9)) AS code, sum(f.beds) AS beds,
                   sum(f.residents) AS residents, count(*) AS facilities
            FROM care_facilities f WHERE f.retired_at IS NULL AND f.facility_type = ANY(:types) GROUP BY 1),
        demand AS (
            SELECT left(h.village_code, 9) AS code, count(*) AS all_households,
                   count(*) FILTER (WHERE 'tekun_central' = ANY(h.categories::text[])) AS households,
                   coalesce(sum(least(coalesce(h.special_care_persons, 1), h.members))
                            FILTER (WHERE 'tekun_central' = ANY(h.categories::text[])), 0) AS persons
            FROM households h WHERE h.retired_at IS NULL AND {row_filter} GROUP BY 1)
        SELECT t.code, t.name, coalesce(b.facilities, 0) AS facilities, coalesce(b.beds, 0) AS beds,
               coalesce(b.residents, 0) AS residents, coalesce(d.households, 0) AS demand_households,
               coalesce(d.persons, 0) AS demand_persons, coalesce(d.all_households, 0) AS all_households
        FROM townships t LEFT JOIN beds b ON b.code = t.code LEFT JOIN demand d ON d.code = t.code
        WHERE t.retired_at IS NULL ORDER BY t.code"""), {"types": list(CENTRAL_SUPPORT_TYPES)})
    out = []
    for row in rows:
        r = dict(row._mapping)
        whole = r.pop("all_households")
        r["free_beds"] = r["beds"] - r["residents"]
        r["balance"] = r["beds"] - r["demand_persons"]
        r["short"] = r["balance"] < 0
        r["suppressed"] = part_of_whole(r["demand_households"], whole, restricted)
        if r["suppressed"]:
            r.update(demand_households=None, demand_persons=None, balance=None, short=None)
        out.append(r)
    county = conn.execute(text(
        "SELECT count(*) AS facilities, coalesce(sum(beds), 0) AS beds, coalesce(sum(residents), 0) AS residents "
        "FROM care_facilities WHERE retired_at IS NULL AND facility_type = ANY(:types)"),
        {"types": list(COUNTY_TYPES)}).one()._asdict()
    return {"rows": out, "county_facilities": county, "types": list(CENTRAL_SUPPORT_TYPES), "basis": BASIS}
