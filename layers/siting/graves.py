"""Scattered graves against a rule set: which rules each grave breaks and how far inside it lies.

One statement for every grave and rule: for each rule, the features within the rule's distance of
the grave (``ST_DWithin`` on the 4490 GiST index with distance / 83,000 degrees, a superset), then
the exact minimum distance in EPSG:4550. ``inside_by_m`` = required − distance, plus the depth
inside the zone itself when the grave lies in it (distance to the zone's edge). Roads and railways are
measured from their edge (``layers.siting.check``): centreline distance less half the width.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID
from layers.cemeteries import GRAVE_KINDS, GRAVE_STATUS
from layers.constraints import MAX_CORRIDOR_WIDTH_M
from layers.errors import InvalidInput
from layers.features import q
from layers.siting.check import METRES_PER_DEGREE_MIN, class_condition, width_sql
from layers.siting.rules import RuleSetVersion, is_violated

_BRANCH = f"""
SELECT g.id, {{i}} AS i, x.d, x.inside, x.depth
FROM g CROSS JOIN LATERAL (
    SELECT min(greatest(ST_Distance(ST_Transform(t.geom, {METRIC_SRID}), g.m) - {{width}} / 2, 0)) AS d,
           coalesce(bool_or(ST_Intersects(t.geom, g.geom) AND NOT ST_Touches(t.geom, g.geom)), false) AS inside,
           {{depth}} AS depth
    FROM {{table}} t WHERE t.retired_at IS NULL{{cls}} AND ST_DWithin(t.geom, g.geom, {{reach}})) x
WHERE x.d IS NOT NULL"""
_DEPTH = (f"coalesce(max(ST_Distance(g.m, ST_Boundary(ST_Transform(t.geom, {METRIC_SRID})))) "
          "FILTER (WHERE ST_Intersects(t.geom, g.geom)), 0)")

_GRAVES = f"""
g AS MATERIALIZED (
    SELECT s.id, s.grave_count, s.kind, s.status, s.status_reason, s.geom, ST_Transform(s.geom, {METRIC_SRID}) AS m,
           coalesce(s.village_code, (SELECT v.code FROM villages v WHERE v.retired_at IS NULL
                                     AND ST_Intersects(v.geom, s.geom) ORDER BY v.id LIMIT 1)) AS village_code
    FROM scattered_graves s WHERE s.retired_at IS NULL)"""


def _filters(village: str | None, township: str | None) -> tuple[str, dict[str, Any]]:
    return ("(CAST(:village AS text) IS NULL OR g.village_code = :village) AND (CAST(:township AS text) IS NULL "
            "OR g.village_code LIKE :township || '%')"), {"village": village, "township": township}


def classify(conn: Connection, rule_set: RuleSetVersion, village: str | None = None,
             township: str | None = None) -> list[dict[str, Any]]:
    """Every grave (of a village/township) with its violations, worst first; graves inside nothing too."""
    params: dict[str, Any] = {}
    branches = []
    for i, rule in enumerate(rule_set.rules):
        cls = class_condition(rule, "t", f"c{i}")
        if cls:
            params[f"c{i}"] = rule.cls
        width, width_params = width_sql(rule, "t", f"w{i}")
        params.update(width_params)
        reach = rule.distance_m + (MAX_CORRIDOR_WIDTH_M / 2 if width_params else 0.0)
        branches.append(_BRANCH.format(i=i, table=q(rule.kind.layer), cls=cls, width=width,
                                       depth=_DEPTH if rule.kind.areal else "0::float8",
                                       reach=f"{reach / METRES_PER_DEGREE_MIN + 1e-9!r}"))
    where, filter_params = _filters(village, township)
    params.update(filter_params)
    sql = f"""
    WITH {_GRAVES},
    hits AS ({' UNION ALL '.join(branches)})
    SELECT g.id, g.grave_count, g.kind, g.status, g.status_reason, g.village_code, v.name AS village_name,
           ST_X(g.geom) AS lon, ST_Y(g.geom) AS lat,
           coalesce(array_agg(h.i ORDER BY h.i) FILTER (WHERE h.i IS NOT NULL), '{{}}') AS rules,
           array_agg(h.d ORDER BY h.i) AS distances, array_agg(h.inside ORDER BY h.i) AS insides,
           array_agg(h.depth ORDER BY h.i) AS depths
    FROM g LEFT JOIN hits h ON h.id = g.id
    LEFT JOIN villages v ON v.code = g.village_code AND v.retired_at IS NULL
    WHERE {where}
    GROUP BY g.id, g.grave_count, g.kind, g.status, g.status_reason, g.village_code, v.name, g.geom
    ORDER BY g.village_code NULLS LAST, g.id"""
    out = []
    for r in conn.execute(text(sql), params):
        violations = []
        for i, d, inside, depth in zip(r.rules, r.distances, r.insides, r.depths, strict=False):
            rule = rule_set.rules[i]
            if not is_violated(d, rule.distance_m, inside=bool(inside)):
                continue
            floor = rule.legal_floor_m  # below the law's distance an advisory rule binds too
            hard = rule.hard or floor is not None and is_violated(d, floor, inside=bool(inside))
            violations.append({"rule": rule.key, "constraint": rule.constraint, "label": rule.label,
                               "hard": hard, "required_distance_m": rule.distance_m,
                               "distance_m": round(d, 1),
                               "inside_by_m": round(rule.distance_m - d + (depth or 0.0), 1)})
        violations.sort(key=lambda v: (not v["hard"], -v["inside_by_m"]))
        out.append({"id": r.id, "grave_count": r.grave_count, "kind": r.kind,
                    "kind_title": GRAVE_KINDS.get(r.kind, r.kind), "status": r.status,
                    "status_title": GRAVE_STATUS.get(r.status, r.status), "status_reason": r.status_reason,
                    "village_code": r.village_code, "village_name": r.village_name,
                    "lon": round(r.lon, 7), "lat": round(r.lat, 7),
                    "violations": violations, "violates_hard_rule": any(v["hard"] for v in violations)})
    return out


def summary(graves: list[dict[str, Any]]) -> dict[str, Any]:
    by_rule: dict[str, int] = {}
    for g in graves:
        for v in g["violations"]:
            by_rule[v["rule"]] = by_rule.get(v["rule"], 0) + 1
    return {"graves": len(graves), "violating": sum(bool(g["violations"]) for g in graves),
            "violating_hard": sum(g["violates_hard_rule"] for g in graves),
            "by_status": {s: sum(g["status"] == s for g in graves) for s in GRAVE_STATUS},
            "by_kind": {k: sum(g["kind"] == k for g in graves) for k in GRAVE_KINDS}, "by_rule": by_rule}


KIND_ORDER = {k: i for i, k in enumerate(GRAVE_KINDS)}


def remediation(graves: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Graves still to move (待迁移), grouped by kind (散埋乱葬, 硬化大墓, 活人墓), then by village: those inside
    三沿六区 (hard rules) first, deepest first.
    """
    todo = [g for g in graves if g["status"] == "to_move"]

    def order(g: dict[str, Any]) -> tuple[Any, ...]:
        depth = max((v["inside_by_m"] for v in g["violations"] if v["hard"]), default=0.0)
        return (KIND_ORDER.get(g["kind"], len(KIND_ORDER)), g["village_code"] or "~", not g["violates_hard_rule"],
                -depth, g["id"])

    rows = []
    for g in sorted(todo, key=order):
        hard = [v for v in g["violations"] if v["hard"]]
        rows.append({"kind": g["kind"], "kind_title": g["kind_title"],
                     "village_code": g["village_code"], "village_name": g["village_name"], "grave_id": g["id"],
                     "grave_count": g["grave_count"], "status_title": g["status_title"],
                     "priority": 1 if hard else 2,
                     "rules": "、".join(v["label"] for v in g["violations"]),
                     "max_inside_by_m": max((v["inside_by_m"] for v in hard), default=None),
                     "lon": g["lon"], "lat": g["lat"]})
    return rows


def remediation_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The remediation list's groups, one per kind in the plan's order (empty kinds too): counts and rows."""
    return [{"kind": kind, "title": title, "sites": len(group), "graves": sum(r["grave_count"] for r in group),
             "rows": group}
            for kind, title in GRAVE_KINDS.items() for group in [[r for r in rows if r["kind"] == kind]]]


REMEDIATION_COLUMNS = [("kind_title", "类型"),
                       ("village_code", "村代码"), ("village_name", "村名"), ("grave_id", "散坟编号"),
                       ("grave_count", "坟数"), ("status_title", "处置状态"), ("priority", "优先级（1=三沿六区内）"),
                       ("rules", "违反规则"), ("max_inside_by_m", "深入禁建范围（米）"),
                       ("lon", "经度"), ("lat", "纬度")]


def validate_status(status: Any, reason: Any) -> tuple[str, str | None]:
    """A new disposal status; 保留 (retained) needs a reason."""
    if status not in GRAVE_STATUS:
        raise InvalidInput(f"处置状态应为：{'、'.join(f'{k}（{v}）' for k, v in GRAVE_STATUS.items())}",
                           f"unknown status {status!r}", field="status")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("处置说明应为文字", "reason must be a string", field="reason")
    reason = (reason or "").strip() or None
    if status == "retained" and not reason:
        raise InvalidInput("保留散坟必须说明理由", "retaining a grave needs a reason", field="reason")
    return status, reason
