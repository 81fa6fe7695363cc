"""Service radii of facility types, with their basis (GB 51143, GB 50180 or a project default, said
in the text users read), and the facility sources.

A facility's radius is its own ``service_radius_m`` when set (editable per facility), else the
default of its type below. Types without a default radius serve an administrative unit instead:
``village`` (its own village: a 农村幸福院 serves its villagers, whatever the distance — a household
is covered by one iff they are in the same village), ``township`` (its own township; 敬老院 and
regional centres "serve their township(s)") or ``county`` (the whole city). Type codes are those of
the facility layers (``SHELTER_TYPES``, ``CARE_TYPES``); they do not overlap, so a type code names
its layer.

>>> source_of("day_care").layer, DEFAULTS["day_care"].radius_m
('care_facilities', 300.0)
>>> DEFAULTS["happiness_home"].scope, DEFAULTS["nursing_home"].scope, DEFAULTS["welfare_center"].scope
('village', 'township', 'county')
>>> parse_types("emergency,fixed")
('emergency', 'fixed')
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.catalog import registry
from layers.errors import InvalidInput
from layers.facilities import CARE_SERVICE_RADIUS_M, SHELTER_SERVICE_RADIUS_M, SHELTER_TYPES
from layers.registry import Radius


@dataclass(frozen=True)
class FacilitySource:
    layer: str  # table name
    type_column: str
    types: dict[str, str]  # code → Chinese title
    township_columns: tuple[str, ...]  # columns that give the township code, in order
    village_column: str = "village_code"  # the column that gives the village code
    radius_column: str | None = "service_radius_m"  # a facility's own radius, if the layer records one


# every layer whose declaration says it counts in coverage (``LayerSpec.coverage``), in catalog order
SOURCES = tuple(FacilitySource(spec.table.name, c.type_column, c.types, c.township_columns, c.village_column,
                               "service_radius_m" if "service_radius_m" in spec.table.columns else None)
                for spec in registry() if (c := spec.coverage) is not None)
# the layers whose writes make the stored service areas stale: the road network and the facilities
WATCHED = ("roads", *(source.layer for source in SOURCES))

_SHELTER_BASIS = {
    "emergency": "默认值：紧急避难场所服务半径 500 m（约 10 分钟步行；GB 51143-2015）",
    "fixed": "默认值：固定避难场所服务半径 2,000 m（GB 51143-2015）",
    "central": "默认值：中心避难场所按固定避难场所取 2,000 m（项目默认值）",
}
_CARE = {
    # a village's mutual-aid care point: DOMAIN.md §6 [report] "农村幸福院 serve their own village"
    "happiness_home": Radius(None, "village", "农村幸福院是村级互助养老设施，服务本村：同一村（行政村、社区）的住户"
                                              "即为覆盖，不按距离计（二手资料：农村幸福院按村设置、服务本村老年人）"),
    # GB 50180-2018 puts 老年人日间照料中心（托老所） among the facilities of the 5-minute life circle, whose walking
    # distance is 300 m (clause 3.0.4); the standard gives no radius of its own for it: 300 m is a reading
    "day_care": Radius(float(CARE_SERVICE_RADIUS_M["day_care"]), "radius",
                       "默认值 300 m：GB 50180-2018《城市居住区规划设计标准》附录B 将老年人日间照料中心（托老所）"
                       "列为五分钟生活圈居住区配套设施，第3.0.4条五分钟生活圈步行距离为 300 m；以 300 m 作服务半径"
                       "是通行的解读（标准未单列其服务半径），可按设施修改"),
    "nursing_home": Radius(None, "township", "敬老院服务所在乡镇（乡镇敬老院按乡镇设置）"),
    "regional_center": Radius(None, "township", "区域养老服务中心服务所在乡镇（跨乡镇服务范围未登记）"),
    "private_home": Radius(None, "township", "民办养老机构按所在乡镇计（项目默认值，无依据）"),
    "welfare_center": Radius(None, "county", "社会福利中心服务全市（项目默认值）"),
    "child_welfare": Radius(None, "county", "儿童福利院服务全市（项目默认值）"),
}
DEFAULTS: dict[str, Radius] = {
    **{code: Radius(float(SHELTER_SERVICE_RADIUS_M[code]), "radius", _SHELTER_BASIS[code]) for code in SHELTER_TYPES},
    **_CARE,
    **{code: r for spec in registry() if spec.coverage for code, r in spec.coverage.defaults.items()},
}
TYPE_TITLES = {code: title for source in SOURCES for code, title in source.types.items()}


def source_of(facility_type: str) -> FacilitySource:
    for source in SOURCES:
        if facility_type in source.types:
            return source
    raise InvalidInput(f"没有设施类型“{facility_type}”；可选：{'、'.join(TYPE_TITLES)}",
                       f"unknown facility type {facility_type!r}", field="facility_type")


def parse_types(value: str | None) -> tuple[str, ...]:
    """Comma-separated facility type codes, each checked; at least one."""
    types = tuple(dict.fromkeys(t.strip() for t in (value or "").split(",") if t.strip()))
    if not types:
        raise InvalidInput("请给出设施类型 facility_type", "facility_type is required", field="facility_type")
    for t in types:
        source_of(t)
    return types


def radius_sql(source: FacilitySource, alias: str = "f") -> str:
    """The effective radius of a facility row (NULL = serves a unit): own value, else the type default.
    Village-serving types have none whatever the row says: they serve their villagers, not a distance.
    """
    cases = " ".join(f"WHEN '{code}' THEN {DEFAULTS[code].radius_m!r}" for code in source.types
                     if DEFAULTS[code].radius_m is not None)
    villages = ", ".join(f"'{code}'" for code in source.types if DEFAULTS[code].scope == "village")
    # a layer may record no radius of its own, and its types may all serve a unit (no default radius)
    parts = [p for p in (source.radius_column and f"{alias}.{source.radius_column}",
                         cases and f"CASE {alias}.{source.type_column} {cases} END") if p]
    radius = f"coalesce({', '.join(parts)})::float8" if parts else "NULL::float8"
    if not villages:
        return radius
    return f"(CASE WHEN {alias}.{source.type_column} IN ({villages}) THEN NULL ELSE {radius} END)"


def scope_sql(source: FacilitySource, alias: str = "f") -> str:
    """'village', 'township' or 'county' for unit-serving types, NULL for radius types."""
    cases = " ".join(f"WHEN '{code}' THEN '{DEFAULTS[code].scope}'" for code in source.types
                     if DEFAULTS[code].radius_m is None)
    return f"(CASE {alias}.{source.type_column} {cases} ELSE NULL END)" if cases else "NULL::text"


def township_sql(source: FacilitySource, alias: str = "f") -> str:
    """The facility's township code: its own columns, else the township polygon containing it."""
    columns = ", ".join(f"left({alias}.{c}, 9)" for c in source.township_columns)
    return (f"coalesce({columns}, (SELECT t.code FROM townships t WHERE t.retired_at IS NULL "
            f"AND ST_Covers(t.geom, {alias}.geom) ORDER BY t.code LIMIT 1))")


def village_sql(source: FacilitySource, alias: str = "f") -> str:
    """The facility's village code: its own column, else the village polygon containing it."""
    return (f"coalesce({alias}.{source.village_column}, (SELECT v.code FROM villages v WHERE v.retired_at IS NULL "
            f"AND ST_Covers(v.geom, {alias}.geom) ORDER BY v.code LIMIT 1))")


def defaults_table() -> list[dict[str, object]]:
    """Every type with its default radius or scope and basis (for the API and the page)."""
    return [{"facility_type": code, "layer": source_of(code).layer, "title": TYPE_TITLES[code],
             "radius_m": r.radius_m, "scope": r.scope, "basis": r.basis} for code, r in DEFAULTS.items()]
