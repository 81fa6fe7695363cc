"""The audit log: who did what, when, from where. Writes to layers are logged by the database
trigger (migration 0002); logins, reveals, reads of personal data and exports are logged here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from layers.registry import LayerSpec
from layers.roles import Actor

ACTION_TITLES = {
    "insert": "新建", "update": "修改", "retire": "注销", "restore": "恢复", "delete": "删除",
    "login": "登录成功", "login_failed": "登录失败", "reveal": "查看完整个人信息", "read_personal": "读取个人信息",
    "export": "导出", "bulk_load": "批量导入", "user_admin": "账户管理", "count_households": "统计困难群众户数",
    "duplicate_hit": "唯一性校验命中（重复）", "duplicate_throttled": "唯一性校验次数超限被拒",
    "privacy_purge": "删除到期个人信息", "print": "打印地图",
}


_INSERT = ("INSERT INTO audit_log (username, client_address, action, layer, feature_id, reason, detail) "
           "VALUES (:{p}username, :{p}address, :{p}action, :{p}layer, :{p}feature_id, :{p}reason, "
           "CAST(:{p}detail AS jsonb))")


def _values(actor: Actor | None, action: str, layer: str | None, feature_id: int | None, reason: str | None,
            username: str | None, address: str | None, detail: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    detail = {k: v for k, v in detail.items() if v is not None}
    values = {"username": username or (actor.name if actor else None),
              "address": address or (actor.address if actor else None),
              "action": action, "layer": layer, "feature_id": feature_id, "reason": reason,
              "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None}
    return {prefix + k: v for k, v in values.items()}


def record(conn: Connection, actor: Actor | None, action: str, *, layer: str | None = None,
           feature_id: int | None = None, reason: str | None = None, username: str | None = None,
           address: str | None = None, **detail: Any) -> None:
    conn.execute(text(_INSERT.format(p="")),
                 _values(actor, action, layer, feature_id, reason, username, address, detail))


def read_record(spec: LayerSpec, actor: Actor, action: str, **detail: Any) -> tuple[str, dict[str, Any]] | None:
    """The audit record of a read of ``spec`` as a CTE for the reading statement itself, or None when
    the layer holds no personal data. A data-modifying CTE runs exactly once, referred to or not: the
    data and the record of who read it commit together or not at all, in one round trip.
    """
    if not spec.personal_fields:
        return None
    return (f"_audit AS ({_INSERT.format(p='audit_')})",
            _values(actor, action, spec.name, None, None, None, None, detail, prefix="audit_"))


@contextmanager
def reading(db: Any, spec: LayerSpec) -> Iterator[Connection]:
    """A connection to read ``spec``: a transaction when the read must be audited in the same commit."""
    with (db.transaction() if spec.personal_fields else db.read()) as conn:
        yield conn


def audit_personal_read(conn: Connection, spec: LayerSpec, actor: Actor, action: str, **detail: Any) -> None:
    """Reads of layers with personal data are audited, masked or not (masked data is still personal)."""
    if spec.personal_fields:
        record(conn, actor, action, layer=spec.name, **detail)


def query(conn: Connection, *, username: str | None = None, layer: str | None = None, action: str | None = None,
          since: datetime | None = None, until: datetime | None = None, limit: int = 100,
          offset: int = 0) -> dict[str, Any]:
    clauses: list[str] = ["true"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    for name, value, clause in (("username", username, "username = :username"), ("layer", layer, "layer = :layer"),
                                ("action", action, "action = :action"), ("since", since, "at >= :since"),
                                ("until", until, "at < :until")):
        if value is not None:
            clauses.append(clause)
            params[name] = value
    where = " AND ".join(clauses)
    total = conn.execute(text(f"SELECT count(*) FROM audit_log WHERE {where}"), params).scalar_one()
    rows = conn.execute(text(
        f"SELECT id, at, username, client_address, action, layer, feature_id, old_version, new_version, reason, "
        f"detail FROM audit_log WHERE {where} ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset"), params)
    entries = [{**row._asdict(), "at": row.at.isoformat(), "action_title": ACTION_TITLES.get(row.action, row.action)}
               for row in rows]
    return {"numberMatched": total, "numberReturned": len(entries), "entries": entries}
