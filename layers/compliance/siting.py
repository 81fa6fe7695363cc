"""Re-check cemeteries, candidate sites and scattered graves when a 三沿六区 layer or the rule set changes.

The rules are the siting engine's (``layers.siting.check.check_site``), never a copy: each affected record
is checked again against the rules of the changed layers only, and compared with its last check
(``compliance_status``). A rule that turned violated is a ``new_violation`` finding; one that stopped being
violated is ``resolved`` and closes the open finding of that record and rule.

Affected records are found with the spatial index: within the changed features' extent — the old geometry
(the previous version in ``feature_history``) and the new one — plus the largest distance of the layer's
rules (plus half the widest corridor for roads and railways, measured from their edge), as degrees with the
safe 83,000 m/° bound of ``layers.siting.check``. A new default rule-set version re-checks every record.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import Connection, text

from layers.constraints import MAX_CORRIDOR_WIDTH_M
from layers.siting.check import METRES_PER_DEGREE_MIN, check_site
from layers.siting.rules import CONSTRAINTS, Rule, RuleSetVersion

CONSTRAINT_LAYERS = frozenset(c.layer for c in CONSTRAINTS.values())
RULE_SET_SOURCE = "siting_rule_set_versions"
AUDIENCE = "funeral_planner"


@dataclass(frozen=True)
class RecordKind:
    """A kind of record the rules are checked for: its table, name expression and which rows count."""

    layer: str
    title: str
    name_sql: str
    live_sql: str


RECORDS = {r.layer: r for r in (
    RecordKind("cemeteries", "公墓", "r.name", "r.retired_at IS NULL"),
    RecordKind("candidate_sites", "候选地", "r.name", "r.status <> 'rejected'"),
    RecordKind("scattered_graves", "散坟", "'散坟（' || r.grave_count || ' 座）'", "r.retired_at IS NULL"),
)}


@dataclass(frozen=True)
class Change:
    """A pending row of ``compliance_changes``."""

    id: int
    source: str
    feature_id: int
    version: int | None
    operation: str
    history_id: int | None


def rules_of(rule_set: RuleSetVersion, layers: Iterable[str]) -> tuple[Rule, ...]:
    wanted = set(layers)
    return tuple(r for r in rule_set.rules if r.kind.layer in wanted)


def reach_m(rule_set: RuleSetVersion, layer: str) -> float:
    """How far a change of ``layer`` can matter: its largest rule distance (+ half the widest corridor)."""
    rules = rules_of(rule_set, [layer])
    extra = MAX_CORRIDOR_WIDTH_M / 2 if any(r.kind.corridor for r in rules) else 0.0
    return max((r.distance_m for r in rules), default=0.0) + extra


_RECORD_ROWS = ("SELECT '{layer}' AS layer, r.id, {name} AS name, ST_AsBinary(r.geom) AS wkb, "
                "ST_X(ST_PointOnSurface(r.geom)) AS lon, ST_Y(ST_PointOnSurface(r.geom)) AS lat "
                "FROM {layer} r WHERE {live}")


def _record_sql(kind: RecordKind) -> str:
    return _RECORD_ROWS.format(layer=kind.layer, name=kind.name_sql, live=kind.live_sql)


def affected_records(conn: Connection, changes: list[Change], rule_set: RuleSetVersion) -> list[Any]:
    """Every live record within reach of a changed feature's old or new geometry (GiST index)."""
    layers = sorted({c.source for c in changes})
    reach = {layer: reach_m(rule_set, layer) / METRES_PER_DEGREE_MIN + 1e-9 for layer in layers}
    extent = """e AS MATERIALIZED (
        SELECT h.geom, CAST(x.value AS float8) AS reach FROM feature_history h
        JOIN json_each_text(CAST(:reach AS json)) x ON x.key = h.layer
        WHERE h.id = ANY(:hids) AND h.geom IS NOT NULL
        UNION ALL
        SELECT p.geom, CAST(x.value AS float8) FROM feature_history h
        JOIN feature_history p ON p.layer = h.layer AND p.feature_id = h.feature_id AND p.version = h.version - 1
        JOIN json_each_text(CAST(:reach AS json)) x ON x.key = h.layer
        WHERE h.id = ANY(:hids) AND p.geom IS NOT NULL)"""
    # the changed extents drive the join: one GiST probe of the record table per extent
    branches = [_record_sql(kind) + f" AND r.id IN (SELECT t.id FROM e JOIN {kind.layer} t "
                "ON ST_DWithin(t.geom, e.geom, e.reach))" for kind in RECORDS.values()]
    sql = f"WITH {extent} " + " UNION ALL ".join(branches) + " ORDER BY 1, 2"
    return list(conn.execute(text(sql), {"reach": json.dumps(reach),
                                         "hids": [c.history_id for c in changes if c.history_id]}))


def all_records(conn: Connection, layer: str | None = None, ids: list[int] | None = None,
                unchecked: bool = False) -> list[Any]:
    """Live records (of one layer and ids, or those never checked yet, or all)."""
    branches = []
    for kind in RECORDS.values():
        if layer is not None and kind.layer != layer:
            continue
        sql = _record_sql(kind)
        if ids is not None:
            sql += " AND r.id = ANY(:ids)"
        if unchecked:
            sql += (f" AND NOT EXISTS (SELECT 1 FROM compliance_status s WHERE s.record_layer = '{kind.layer}' "
                    "AND s.record_id = r.id)")
        branches.append(sql)
    return list(conn.execute(text(" UNION ALL ".join(branches) + " ORDER BY 1, 2"), {"ids": ids}))


def _status(conn: Connection, layer: str, ids: list[int]) -> dict[tuple[int, str], Any]:
    rows = conn.execute(text("SELECT record_id, rule, distance_m, violated, nearest_id FROM compliance_status "
                             "WHERE record_layer = :l AND record_id = ANY(:ids)"), {"l": layer, "ids": ids})
    return {(r.record_id, r.rule): r for r in rows}


def _save_status(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(text(
            "INSERT INTO compliance_status (record_layer, record_id, rule, distance_m, violated, nearest_id, "
            "checked_at) SELECT * , clock_timestamp() FROM json_to_recordset(CAST(:rows AS json)) AS x("
            "record_layer text, record_id bigint, rule text, distance_m float8, violated bool, nearest_id bigint) "
            "ON CONFLICT (record_layer, record_id, rule) DO UPDATE SET distance_m = EXCLUDED.distance_m, "
            "violated = EXCLUDED.violated, nearest_id = EXCLUDED.nearest_id, checked_at = EXCLUDED.checked_at"),
            {"rows": json.dumps(rows)})


def check_records(conn: Connection, records: list[Any], rule_set: RuleSetVersion, rules: tuple[Rule, ...],
                  cause: Any = None) -> dict[str, int]:
    """Check ``records`` against ``rules``; with a ``cause`` (``Change -> (layer, id) -> change``) compare with
    the last check and write findings, without one only record the check (a baseline).
    """
    if not rules:
        return {"checked": 0, "new_violation": 0, "resolved": 0}
    subset = dataclasses.replace(rule_set, rules=rules)
    counts = {"checked": len(records), "new_violation": 0, "resolved": 0}
    by_layer: dict[str, list[Any]] = {}
    for record in records:
        by_layer.setdefault(record.layer, []).append(record)
    for layer, group in by_layer.items():
        before = _status(conn, layer, [r.id for r in group]) if cause else {}
        status, findings = [], []
        for record in group:
            report = check_site(conn, shapely.from_wkb(bytes(record.wkb)), subset)
            for result in report["results"]:
                nearest = result["nearest"]
                status.append({"record_layer": layer, "record_id": record.id, "rule": result["rule"],
                               "distance_m": result["distance_m"], "violated": result["violated"],
                               "nearest_id": nearest["id"] if nearest else None})
                old = before.get((record.id, result["rule"]))
                if cause is None or old is None or old.violated == result["violated"]:
                    continue
                kind = "new_violation" if result["violated"] else "resolved"
                culprit = (layer_of(result), (nearest or {}).get("id") if result["violated"] else old.nearest_id)
                change = cause(culprit)
                findings.append(_finding(record, result, kind, change, old.distance_m))
                counts[kind] += 1
        _save_status(conn, status)
        for finding in findings:
            _record_finding(conn, finding)
    return counts


def layer_of(result: dict[str, Any]) -> str:
    return CONSTRAINTS[result["constraint"]].layer


def _finding(record: Any, result: dict[str, Any], kind: str, change: Any, before: float | None) -> dict[str, Any]:
    return {"topic": "siting", "kind": kind, "record_layer": record.layer, "record_id": record.id,
            "record_name": record.name, "rule": result["rule"], "rule_label": result["label"],
            "change_id": change.id if change else None,
            "cause_layer": change.source if change else None, "cause_id": change.feature_id if change else None,
            "distance_before_m": before, "distance_after_m": result["distance_m"],
            "required_m": result["required_distance_m"], "basis": result["basis"],
            "detail": json.dumps({"hard": result["hard"], "inside": result["inside"],
                                  "nearest": result["nearest"]}, ensure_ascii=False),
            "lon": record.lon, "lat": record.lat,
            "state": "open" if kind == "new_violation" else "resolved"}


def _record_finding(conn: Connection, f: dict[str, Any]) -> None:
    if f["kind"] == "resolved":  # the violation is gone: its open item is closed by the same change
        conn.execute(text(
            "UPDATE compliance_findings SET state = 'resolved', acted_by = '系统', acted_at = clock_timestamp(), "
            "note = :note WHERE topic = 'siting' AND kind = 'new_violation' AND record_layer = :record_layer "
            "AND record_id = :record_id AND rule = :rule AND state <> 'resolved'"),
            {**f, "note": f"违规已消除（变更 #{f['change_id']}）" if f["change_id"] else "违规已消除"})
    conn.execute(text(
        "INSERT INTO compliance_findings (topic, kind, record_layer, record_id, record_name, rule, rule_label, "
        "change_id, cause_layer, cause_id, distance_before_m, distance_after_m, required_m, basis, detail, lon, "
        "lat, state) VALUES (:topic, :kind, :record_layer, :record_id, :record_name, :rule, :rule_label, "
        ":change_id, :cause_layer, :cause_id, :distance_before_m, :distance_after_m, :required_m, :basis, "
        "CAST(:detail AS jsonb), :lon, :lat, :state)"), f)


def cause_finder(changes: list[Change]) -> Any:
    """``(layer, feature id) -> change``: the change of that feature, else the first change of that layer."""
    by_feature: dict[tuple[str, int | None], Change] = {(c.source, c.feature_id): c for c in changes}
    by_layer: dict[str, Change] = {}
    for c in changes:
        by_layer.setdefault(c.source, c)

    def find(culprit: tuple[str, int | None]) -> Change | None:
        return by_feature.get(culprit) or by_layer.get(culprit[0]) or (changes[0] if changes else None)

    return find


def baseline(conn: Connection, rule_set: RuleSetVersion, records: list[Any]) -> int:
    """Record the current check of ``records`` without findings (new or moved records, first run)."""
    check_records(conn, records, rule_set, rule_set.rules)
    return len(records)


def handle(conn: Connection, changes: list[Change], rule_set: RuleSetVersion) -> dict[str, Any]:
    """Process one batch of siting-relevant changes in order: records, then rule sets, then constraints."""
    out: dict[str, Any] = {}
    moved = [c for c in changes if c.source in RECORDS]
    for layer in {c.source for c in moved}:  # a record created, moved or retired: its check starts again
        ids = sorted({c.feature_id for c in moved if c.source == layer})
        conn.execute(text("DELETE FROM compliance_status WHERE record_layer = :l AND record_id = ANY(:ids)"),
                     {"l": layer, "ids": ids})
        live = {r.id for r in all_records(conn, layer, ids)}
        conn.execute(text(  # a retired (or rejected) record has nothing left to fix
            "UPDATE compliance_findings SET state = 'resolved', acted_by = '系统', acted_at = clock_timestamp(), "
            "note = '记录已注销（或候选地已驳回）' WHERE topic = 'siting' AND record_layer = :l "
            "AND record_id = ANY(:gone) AND state <> 'resolved'"),
            {"l": layer, "gone": [i for i in ids if i not in live]})
    out["baseline"] = baseline(conn, rule_set, all_records(conn, unchecked=True))
    rule_sets = [c for c in changes if c.source == RULE_SET_SOURCE and c.feature_id == rule_set.id]
    if rule_sets:
        out["rule_set"] = check_records(conn, all_records(conn), rule_set, rule_set.rules,
                                        cause=lambda _culprit: rule_sets[-1])
    constraint_changes = [c for c in changes if c.source in CONSTRAINT_LAYERS]
    if constraint_changes:
        records = affected_records(conn, constraint_changes, rule_set)
        rules = rules_of(rule_set, {c.source for c in constraint_changes})
        out["constraints"] = check_records(conn, records, rule_set, rules, cause=cause_finder(constraint_changes))
    return out


def full_recheck(conn: Connection, rule_set: RuleSetVersion) -> dict[str, int]:
    """Every record against every rule, compared with its last check (the reference the bench measures)."""
    return check_records(conn, all_records(conn), rule_set, rule_set.rules, cause=lambda _culprit: None)
