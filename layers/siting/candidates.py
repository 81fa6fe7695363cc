"""Candidate cemetery sites: saved with a frozen check report, moved through the approval workflow.

Workflow (《殡葬管理条例》第八条: the township reviews, the county civil-affairs bureau approves):
candidate → township_review → county_approval → under_construction → in_use; any review step may
end in ``rejected``; a draft (``candidate``) may be ``withdrawn`` by a planner. Every step is a row of
``candidate_site_events`` (who, when, from → to, note).

Four eyes: the township review and the county approval are the acts of two authorities (第八条), so
the account that made one step may not make the next approval step (``APPROVAL_STEPS``); submitting
one's own draft is not an approval. That rule is a local parameter of internal control (the bureau's
separation of duties), not a clause of the regulation.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from formats.srids import STORAGE_SRID
from layers.errors import Conflict, InvalidInput, NotFound, VersionConflict
from layers.labels import account_title
from layers.roles import Actor
from layers.siting.check import check_site
from layers.siting.rules import RuleSetVersion, get_rule_set

STATUSES = {"candidate": "候选", "township_review": "乡镇审核", "county_approval": "县民政局审批",
            "under_construction": "建设中", "in_use": "已使用", "rejected": "未通过", "withdrawn": "已撤回"}
TRANSITIONS = {
    "candidate": ("township_review", "rejected", "withdrawn"),
    "township_review": ("county_approval", "rejected"),
    "county_approval": ("under_construction", "rejected"),
    "under_construction": ("in_use",),
    "in_use": (),
    "rejected": (),
    "withdrawn": (),
}
# steps that approve what the previous step (by someone else) put forward
APPROVAL_STEPS = frozenset({"county_approval", "under_construction", "in_use"})


def _event(conn: Connection, candidate_id: int, from_status: str | None, to_status: str, actor: Actor,
           note: str | None) -> None:
    conn.execute(text("INSERT INTO candidate_site_events (candidate_id, from_status, to_status, by, note) "
                      "VALUES (:id, :from_status, :to_status, :by, :note)"),
                 {"id": candidate_id, "from_status": from_status, "to_status": to_status, "by": actor.name,
                  "note": note})


def _village(conn: Connection, code: str) -> Any:
    row = conn.execute(text("SELECT code, name, township_code FROM villages WHERE code = :code "
                            "AND retired_at IS NULL"), {"code": code}).first()
    if row is None:
        raise InvalidInput(f"没有区划代码为 {code} 的村（社区）", f"unknown village {code}", field="village_code")
    return row


def save_candidate(conn: Connection, geom: BaseGeometry, name: str, rule_set: RuleSetVersion, actor: Actor,
                   village_code: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Check the site now (the report is computed here, never taken from the client) and save it."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("请给出候选地名称 name", "name is required", field="name")
    report = check_site(conn, geom, rule_set)
    code = village_code or (report["village"] or {}).get("code")
    if not code:
        raise InvalidInput("选址不在海城市任何村（社区）范围内，不能保存为候选地（如属界线附近，请注明所在村的代码）",
                           "site is in no village; give village_code", field="village_code")
    village = _village(conn, code)
    report["checked_by"] = actor.name
    candidate_id = conn.execute(text(
        "INSERT INTO candidate_sites (name, village_code, township_code, area_m2, rule_set_id, rule_set_version, "
        "compliant, report, note, created_by, updated_by, geom) VALUES (:name, :village, :township, :area, "
        f":rs, :rsv, :compliant, CAST(:report AS jsonb), :note, :by, :by, ST_GeomFromWKB(:wkb, {STORAGE_SRID})) "
        "RETURNING id"),
        {"name": name.strip(), "village": village.code, "township": village.township_code,
         "area": report["area_m2"], "rs": rule_set.id, "rsv": rule_set.version, "compliant": report["compliant"],
         "report": json.dumps(report, ensure_ascii=False), "note": note, "by": actor.name,
         "wkb": shapely.to_wkb(shapely.force_2d(geom))}).scalar_one()
    _event(conn, candidate_id, None, "candidate", actor, note or "保存候选地")
    return get_candidate(conn, candidate_id)


_COLUMNS = ("c.id, c.name, c.village_code, v.name AS village_name, c.township_code, c.status, c.version, "
            "c.area_m2, c.rule_set_id, c.rule_set_version, c.compliant, c.note, c.created_at, c.created_by, "
            "c.updated_at, c.updated_by, ST_AsGeoJSON(c.geom, 9, 0) AS geometry")
_FROM = "FROM candidate_sites c LEFT JOIN villages v ON v.code = c.village_code AND v.retired_at IS NULL"


def _public(row: Any) -> dict[str, Any]:
    out = dict(row._asdict())
    out["geometry"] = json.loads(out["geometry"])
    out["status_title"] = STATUSES[out["status"]]
    out["created_by_title"] = account_title(out["created_by"])
    out["next_statuses"] = list(TRANSITIONS[out["status"]])
    for k in ("created_at", "updated_at"):
        out[k] = out[k].isoformat()
    return out


def get_candidate(conn: Connection, candidate_id: int) -> dict[str, Any]:
    """The candidate, its frozen report and every workflow step."""
    row = conn.execute(text(f"SELECT {_COLUMNS}, c.report {_FROM} WHERE c.id = :id"), {"id": candidate_id}).first()
    if row is None:
        raise NotFound(f"没有编号为 {candidate_id} 的候选地", f"candidate site {candidate_id} not found")
    out = _public(row)
    events = conn.execute(text("SELECT from_status, to_status, at, by, note FROM candidate_site_events "
                               "WHERE candidate_id = :id ORDER BY id"), {"id": candidate_id}).all()
    out["events"] = [{"from_status": e.from_status, "to_status": e.to_status,
                      "to_status_title": STATUSES[e.to_status], "at": e.at.isoformat(), "by": e.by,
                      "by_title": account_title(e.by), "note": e.note}
                     for e in events]
    return out


def list_candidates(conn: Connection, village_code: str | None = None, township_code: str | None = None,
                    status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"未知状态“{status}”，可选：{'、'.join(STATUSES)}", f"unknown status {status!r}",
                           field="status")
    rows = conn.execute(text(
        f"SELECT {_COLUMNS} {_FROM} WHERE (CAST(:village AS text) IS NULL OR c.village_code = :village) "
        "AND (CAST(:township AS text) IS NULL OR c.township_code = :township) "
        "AND (CAST(:status AS text) IS NULL OR c.status = :status) ORDER BY c.id"),
        {"village": village_code, "township": township_code, "status": status}).all()
    out = [_public(r) for r in rows]
    steps = conn.execute(text("SELECT candidate_id, to_status, by, at FROM candidate_site_events "
                              "WHERE candidate_id = ANY(:ids) ORDER BY id"), {"ids": [c["id"] for c in out]}).all()
    by_id: dict[int, dict[str, dict[str, str]]] = {c["id"]: {} for c in out}
    for e in steps:  # who made each step (the latest time a status was reached), shown beside it
        by_id[e.candidate_id][e.to_status] = {"by": e.by, "by_title": account_title(e.by), "at": e.at.isoformat()}
    for c in out:
        c["steps"] = by_id[c["id"]]
    return out


def change_status(conn: Connection, candidate_id: int, to_status: str | None, expected_version: int, actor: Actor,
                  note: str | None = None) -> dict[str, Any]:
    """One workflow step; the version check is part of the UPDATE (no read-then-write race)."""
    current = get_candidate(conn, candidate_id)
    if to_status not in STATUSES:
        raise InvalidInput(f"未知状态“{to_status}”，可选：{'、'.join(STATUSES)}", f"unknown status {to_status!r}",
                           field="status")
    if to_status not in TRANSITIONS[current["status"]]:
        allowed = "、".join(STATUSES[s] for s in TRANSITIONS[current["status"]]) or "无"
        raise Conflict(f"候选地当前为“{current['status_title']}”，不能转为“{STATUSES[to_status]}”（可转为：{allowed}）",
                       f"cannot go from {current['status']} to {to_status}")
    if to_status != "rejected" and not current["compliant"]:
        raise Conflict("该候选地的合规检查未通过（存在强制规则违反），不能提交审核；可驳回或重新选址",
                       "a non-compliant candidate cannot proceed")
    last = current["events"][-1] if current["events"] else None
    if to_status in APPROVAL_STEPS and last is not None and last["by"] == actor.name:
        raise Conflict(f"同一账号不能连续办理两个审批环节：上一环节“{last['to_status_title']}”由 {last['by_title']} "
                       f"办理，“{STATUSES[to_status]}”须由另一名审批人办理",
                       "the same account made the previous step")
    row = conn.execute(text(
        "UPDATE candidate_sites SET status = :to_status, version = version + 1, updated_at = now(), "
        "updated_by = :by WHERE id = :id AND version = :expected AND status = :from_status RETURNING version"),
        {"to_status": to_status, "by": actor.name, "id": candidate_id, "expected": expected_version,
         "from_status": current["status"]}).first()
    if row is None:
        raise VersionConflict(f"候选地已被他人修改：您看到的是第 {expected_version} 版，"
                              f"当前为第 {current['version']} 版",
                              "candidate version conflict", current_version=current["version"])
    _event(conn, candidate_id, current["status"], to_status, actor, note)
    return get_candidate(conn, candidate_id)


def _summary(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {k: result.get(k) for k in ("required_distance_m", "hard", "distance_m", "violated", "nearest",
                                        "overlap_area_m2")}


def diff_reports(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Per rule: what changed between two reports (required distance, hard/advisory, distance, verdict)."""
    old = {r["rule"]: r for r in before["results"]}
    new = {r["rule"]: r for r in after["results"]}
    out = []
    for rule in [*new, *(k for k in old if k not in new)]:
        a, b = _summary(old.get(rule)), _summary(new.get(rule))
        if a == b:
            continue
        fields = sorted(k for k in (a or b or {}) if (a or {}).get(k) != (b or {}).get(k))
        label = (new.get(rule) or old[rule])["label"]
        out.append({"rule": rule, "label": label, "changed": fields, "before": a, "after": b})
    return out


def recheck(conn: Connection, candidate_id: int, rule_set_id: int | None = None,
            version: int | None = None) -> dict[str, Any]:
    """Check a saved site again (default: the latest version of its own rule set) and show what changed."""
    candidate = get_candidate(conn, candidate_id)
    rule_set = get_rule_set(conn, rule_set_id if rule_set_id is not None else candidate["rule_set_id"], version)
    geom = shapely.geometry.shape(candidate["geometry"])
    current = check_site(conn, geom, rule_set)
    saved = candidate["report"]
    return {"candidate_id": candidate_id, "saved": saved, "current": current,
            "compliant_changed": saved["compliant"] != current["compliant"],
            "changes": diff_reports(saved, current)}
