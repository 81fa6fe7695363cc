"""The 待办 list: the findings each role is to act on, and acknowledging or resolving one.

Who sees what: funeral planners the siting findings, place-names staff the stale signs, surveyors the
moved markers, the case office the households that lost (or gained) a service; admins all of them. The
households' items follow the households' own rules (``layers.privacy.visible_rows_sql``: children's
households only for the case office), and a finding the caller may not see is "not found", like a
record. Every item links to its record on the map.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.catalog import registry
from layers.errors import Conflict, InvalidInput, NotFound
from layers.households import HOUSEHOLDS
from layers.privacy import visible_rows_sql
from layers.roles import ADMIN, BOUNDARY_SURVEYOR, CASE_WORKER, FUNERAL_PLANNER, PLACE_NAMES_EDITOR, Actor

TOPICS = {"siting": ("三沿六区复核", FUNERAL_PLANNER), "sign": ("地名标志更换", PLACE_NAMES_EDITOR),
          "marker": ("界桩复核", BOUNDARY_SURVEYOR), "coverage": ("服务覆盖变化", CASE_WORKER)}
KINDS = {"new_violation": "新增违规", "resolved": "违规消除", "stale_sign": "标志与标准名称不符",
         "marker_moved": "界桩位置已变更", "coverage_lost": "失去服务覆盖", "coverage_gained": "新获服务覆盖"}
STATES = {"open": "待处理", "acknowledged": "已知悉", "resolved": "已处理"}
# what each topic's list shows: a resolved violation is news in the change report, not a task
TODO_KINDS = ("new_violation", "stale_sign", "marker_moved", "coverage_lost")
NOTE_MAX = 2000


def topics_for(actor: Actor) -> list[str]:
    """The topics of the actor's roles; an admin oversees every topic but coverage, whose items are
    households and their positions: only for who may read households (《个人信息保护法》第五十一条（三））.
    """
    def may(topic: str, role: str) -> bool:
        if topic == "coverage":
            return HOUSEHOLDS.can_read(actor.roles)
        return role in actor.roles or ADMIN in actor.roles

    return [t for t, (_, role) in TOPICS.items() if may(t, role)]


def _visibility(actor: Actor) -> tuple[str, dict[str, Any]]:
    """The WHERE condition (alias f) of the findings ``actor`` may see."""
    condition = "f.topic = ANY(:topics)"
    if "coverage" in topics_for(actor):
        hidden = visible_rows_sql(HOUSEHOLDS, actor, "h")
        condition += (" AND (f.topic <> 'coverage' OR EXISTS (SELECT 1 FROM households h WHERE h.id = f.record_id "
                      f"AND h.retired_at IS NULL{f' AND {hidden}' if hidden else ''}))")
    return condition, {"topics": topics_for(actor)}


def record_url(layer: str, record_id: int) -> str:
    """Where the record opens: its page on the map (candidate sites on the siting page)."""
    if layer == "candidate_sites":
        return f"/siting?candidate={record_id}"
    return f"/features/{layer}/{record_id}"


_COLUMNS = ("f.id, f.topic, f.kind, f.record_layer, f.record_id, f.record_name, f.rule, f.rule_label, f.change_id, "
            "f.cause_layer, f.cause_id, f.distance_before_m, f.distance_after_m, f.required_m, f.basis, f.detail, "
            "f.lon, f.lat, f.created_at, f.state, f.note, f.acted_by, f.acted_at")


def _public(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    spec = registry().get(out["record_layer"])
    cause = registry().get(out["cause_layer"] or "")
    out.update(topic_title=TOPICS[out["topic"]][0], kind_title=KINDS.get(out["kind"], out["kind"]),
               state_title=STATES[out["state"]], url=record_url(out["record_layer"], out["record_id"]),
               record_title=spec.title if spec else "候选地",
               cause_title=cause.title if cause else ("规则集" if out["cause_layer"] else None),
               created_at=out["created_at"].isoformat(),
               acted_at=out["acted_at"].isoformat() if out["acted_at"] else None)
    return out


def todo(conn: Connection, actor: Actor, limit: int = 50, offset: int = 0,
         include_acknowledged: bool = True) -> dict[str, Any]:
    """The caller's open items (and acknowledged ones, marked), newest first, with the count of open ones."""
    where, params = _visibility(actor)
    states = ["open", "acknowledged"] if include_acknowledged else ["open"]
    params.update(kinds=list(TODO_KINDS), states=states, limit=limit, offset=offset)
    base = f"FROM compliance_findings f WHERE {where} AND f.kind = ANY(:kinds)"
    counts = conn.execute(text(f"SELECT f.topic, count(*) FILTER (WHERE f.state = 'open') {base} "
                               "AND f.state <> 'resolved' GROUP BY f.topic"), params).all()
    rows = conn.execute(text(f"SELECT {_COLUMNS} {base} AND f.state = ANY(:states) "
                             "ORDER BY f.state = 'acknowledged', f.id DESC LIMIT :limit OFFSET :offset"), params).all()
    by_topic = {t: 0 for t in topics_for(actor)}
    by_topic.update({t: n for t, n in counts})
    return {"count": sum(by_topic.values()),
            "by_topic": [{"topic": t, "title": TOPICS[t][0], "count": n} for t, n in by_topic.items()],
            "items": [_public(r) for r in rows]}


def get_finding(conn: Connection, actor: Actor, finding_id: int) -> dict[str, Any]:
    where, params = _visibility(actor)
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM compliance_findings f WHERE f.id = :id AND {where}"),
                       {**params, "id": finding_id}).first()
    if row is None:
        raise NotFound(f"没有编号为 {finding_id} 的待办事项", f"finding {finding_id} not found")
    return _public(row)


def act(conn: Connection, actor: Actor, finding_id: int, action: str, note: Any) -> dict[str, Any]:
    """Acknowledge (a note is required: what will be done) or resolve (a note is optional) one finding."""
    if note is not None and not isinstance(note, str):
        raise InvalidInput("说明 note 应为文字", "note must be a string", field="note")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(f"说明 note 不能超过 {NOTE_MAX} 字", "note too long", field="note")
    if action == "acknowledge" and note is None:
        raise InvalidInput("确认知悉须填写说明（将如何处理）", "acknowledging needs a note", field="note")
    current = get_finding(conn, actor, finding_id)  # 404 for what the caller may not see
    if current["state"] == "resolved":
        raise Conflict(f"待办事项 {finding_id} 已处理，不能再{'确认' if action == 'acknowledge' else '处理'}",
                       f"finding {finding_id} is already resolved")
    state = "acknowledged" if action == "acknowledge" else "resolved"
    changed = conn.execute(text(
        "UPDATE compliance_findings SET state = :state, note = :note, acted_by = :by, acted_at = clock_timestamp() "
        "WHERE id = :id AND state <> 'resolved'"), {"state": state, "note": note, "by": actor.name,
                                                      "id": finding_id}).rowcount
    if not changed:  # resolved by someone (or the system) meanwhile
        raise Conflict(f"待办事项 {finding_id} 已被处理", f"finding {finding_id} was resolved meanwhile")
    return get_finding(conn, actor, finding_id)
