"""Child welfare officers: a named 儿童主任 in every village, a 儿童督导员 in every township (民政部等
《关于进一步健全农村留守儿童和困境儿童关爱服务体系的意见》（民发〔2019〕34号）：村（居）民委员会设立儿童主任，
乡镇人民政府（街道办事处）设立儿童督导员).

Officers' names and phones are personal data: output is masked with ``layers.masks.SQL_MASKS``
(the kinds declared on the model's columns) unless revealed by the case office or an admin; the
HTTP layer audits every read. Records are never deleted: leaving retires the row.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from layers.coverage.models import OFFICER_ROLES, ChildWelfareOfficer
from layers.errors import InvalidInput, NotFound
from layers.inputs import text_or_none
from layers.masks import SQL_MASKS
from layers.roles import ADMIN, CASE_WORKER, Actor

UNIT_OF_ROLE = {"director": ("villages", 12, "村（社区）"), "supervisor": ("townships", 9, "乡镇（街道）")}
REVEAL_ROLES = frozenset({CASE_WORKER, ADMIN})
WRITE_ROLES = frozenset({CASE_WORKER, ADMIN})
_COLUMNS = ("id", "role", "unit_code", "name", "phone", "note", "version", "created_at", "updated_at")


def may_reveal(actor: Actor) -> bool:
    return bool(REVEAL_ROLES & actor.roles)


def _select_list(reveal: bool) -> str:
    table = ChildWelfareOfficer.__table__
    parts = []
    for name in _COLUMNS:
        kind = table.columns[name].info.get("mask")
        expr = SQL_MASKS[kind].format(c=f"o.{name}") if kind and not reveal else f"o.{name}"
        parts.append(f"{expr} AS {name}")
    return ", ".join(parts)


def list_officers(conn: Connection, reveal: bool, role: str | None = None,
                  unit_code: str | None = None) -> list[dict[str, Any]]:
    """Active officers (masked unless ``reveal``), with the unit's name."""
    where, params = ["o.retired_at IS NULL"], {}
    if role:
        where.append("o.role = :role")
        params["role"] = role
    if unit_code:
        where.append("(o.unit_code = :unit OR left(o.unit_code, 9) = :unit)")
        params["unit"] = unit_code
    rows = conn.execute(text(
        f"SELECT {_select_list(reveal)}, coalesce(v.name, t.name) AS unit_name FROM child_welfare_officers o "
        "LEFT JOIN villages v ON o.role = 'director' AND v.code = o.unit_code AND v.retired_at IS NULL "
        "LEFT JOIN townships t ON o.role = 'supervisor' AND t.code = o.unit_code AND t.retired_at IS NULL "
        f"WHERE {' AND '.join(where)} ORDER BY o.unit_code, o.role, o.id"), params)
    return [{**r._asdict(), "role_title": OFFICER_ROLES[r.role], "created_at": r.created_at.isoformat(),
             "updated_at": r.updated_at.isoformat()} for r in rows]


def create_officer(conn: Connection, body: dict[str, Any], actor: Actor) -> int:
    """Add an officer; the unit must exist and match the role (village for 儿童主任, township for 督导员)."""
    role, unit, name = text_or_none(body, "role"), body.get("unit_code"), body.get("name")
    if role not in OFFICER_ROLES:
        raise InvalidInput("role 应为 director（儿童主任）或 supervisor（儿童督导员）",
                           "role must be director|supervisor", field="role")
    table, length, title = UNIT_OF_ROLE[role]
    if not isinstance(unit, str) or len(unit) != length or not unit.isdigit():
        raise InvalidInput(f"{OFFICER_ROLES[role]}的单位代码应为 {length} 位{title}代码", "bad unit_code",
                           field="unit_code")
    if conn.execute(text(f"SELECT 1 FROM {table} WHERE code = :c AND retired_at IS NULL"), {"c": unit}).first() is None:
        raise InvalidInput(f"没有代码为 {unit} 的{title}", f"unknown unit {unit}", field="unit_code")
    if not isinstance(name, str) or not name.strip() or len(name) > 50:
        raise InvalidInput("请填写姓名", "name is required", field="name")
    phone = body.get("phone")
    if phone is not None and (not isinstance(phone, str) or not phone.replace("-", "").isdigit() or len(phone) > 20):
        raise InvalidInput("联系电话应为数字（可含 -）", "phone must be digits", field="phone")
    return conn.execute(text(
        "INSERT INTO child_welfare_officers (role, unit_code, name, phone, note, created_by, updated_by) "
        "VALUES (:role, :unit, :name, :phone, :note, :by, :by) RETURNING id"),
        {"role": role, "unit": unit, "name": name.strip(), "phone": phone, "note": text_or_none(body, "note"),
         "by": actor.name}).scalar_one()


def retire_officer(conn: Connection, officer_id: int, actor: Actor) -> None:
    row = conn.execute(text(
        "UPDATE child_welfare_officers SET retired_at = now(), updated_at = now(), updated_by = :by, "
        "version = version + 1 WHERE id = :id AND retired_at IS NULL RETURNING id"),
        {"id": officer_id, "by": actor.name}).first()
    if row is None:
        raise NotFound(f"没有编号为 {officer_id} 的在岗儿童福利工作人员", f"officer {officer_id} not found")


def gaps(conn: Connection) -> dict[str, Any]:
    """Villages without a 儿童主任 and townships without a 儿童督导员, as GeoJSON (no personal data)."""
    out: dict[str, Any] = {}
    for role, (table, _, _) in UNIT_OF_ROLE.items():
        parent = "u.township_code" if table == "villages" else "NULL::text"
        rows = conn.execute(text(
            f"SELECT u.code, u.name, {parent} AS township_code, ST_AsGeoJSON(u.geom, 6, 0) AS geometry FROM {table} u "
            "WHERE u.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM child_welfare_officers o WHERE o.role = :role "
            "AND o.unit_code = u.code AND o.retired_at IS NULL) ORDER BY u.code"), {"role": role})
        features = [{"type": "Feature", "id": r.code, "geometry": json.loads(r.geometry),
                     "properties": {"code": r.code, "name": r.name, "township_code": r.township_code,
                                    "missing": OFFICER_ROLES[role]}} for r in rows]
        total = conn.execute(text(f"SELECT count(*) FROM {table} WHERE retired_at IS NULL")).scalar_one()
        out[table] = {"type": "FeatureCollection", "features": features, "missing": len(features), "total": total}
    return out
