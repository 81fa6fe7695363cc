"""Inspection campaigns: a round of joint inspection for one or more lines, and what was found along them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.boundaries import INSPECTION_CYCLE_YEARS, LAYERS, next_inspection_date
from layers.errors import InvalidInput, NotFound, VersionConflict
from layers.features import update_feature
from layers.inspections.displacement import default_tolerance
from layers.inspections.models import CAMPAIGN_KINDS, CAMPAIGN_STATUSES, FINDING_KINDS
from layers.labels import account_title
from layers.roles import Actor

LINES_SPEC = next(s for s in LAYERS if s.name == "boundary_lines")
_TEAM_KEYS = {"side", "leader", "members", "organisation"}


def _team(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= _TEAM_KEYS:
        raise InvalidInput(f"{name} 应为对象，字段为 side、organisation、leader、members",
                           f"{name} must be an object with side, organisation, leader, members", field=name)
    return value


def _int(body: dict[str, Any], name: str, label: str, low: int, high: int, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{label}（{name}）应为 {low}–{high} 的整数",
                           f"{name} must be an integer in [{low}, {high}]",
                           field=name)
    return value


def parse_date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} 应为日期（YYYY-MM-DD）", f"{name} must be a date", field=name) from None


def create_campaign(conn: Connection, body: dict[str, Any], actor: Actor) -> int:
    """Create a campaign from the API body ``{"name", "year", "round", "line_ids", …}``; returns its id."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("请填写联检任务名称（name）", "name is required", field="name")
    year = _int(body, "year", "年度", 1990, 2100)
    round_ = _int(body, "round", "轮次", 1, 99, 1)
    line_ids = body.get("line_ids")
    if not isinstance(line_ids, list) or not line_ids or not all(isinstance(i, int) and not isinstance(i, bool)
                                                                 for i in line_ids):
        raise InvalidInput("请选择至少一条界线（line_ids，整数列表）", "line_ids must be a non-empty list of ids",
                           field="line_ids")
    kind = body.get("kind", "regular")
    if kind not in CAMPAIGN_KINDS:
        raise InvalidInput("kind 应为 regular（五年定期联检）或 ad_hoc（专项检查）", "kind must be regular or ad_hoc",
                           field="kind")
    tolerance, basis = default_tolerance()
    if body.get("tolerance_m") is not None:
        tolerance = body["tolerance_m"]
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 < tolerance <= 100:
            raise InvalidInput("位移容差（tolerance_m）应为 0–100 米", "tolerance_m must be in (0, 100]",
                               field="tolerance_m")
        basis = body.get("tolerance_basis") or "联检任务创建时设定"
    found = set(conn.execute(text("SELECT id FROM boundary_lines WHERE id = ANY(:ids) AND retired_at IS NULL"),
                             {"ids": line_ids}).scalars())
    missing = [i for i in line_ids if i not in found]
    if missing:
        raise InvalidInput(f"界线不存在或已注销：{', '.join(map(str, missing))}", f"unknown lines {missing}",
                           field="line_ids")
    campaign_id = conn.execute(text(
        "INSERT INTO inspection_campaigns (name, year, round, kind, trigger, team_a, team_b, start_date, end_date, "
        "tolerance_m, tolerance_basis, notes, created_by, updated_by) VALUES (:name, :year, :round, :kind, "
        ":trigger, CAST(:team_a AS jsonb), CAST(:team_b AS jsonb), :start, :end, :tol, :basis, :notes, :by, :by) "
        "RETURNING id"),
        {"name": name.strip(), "year": year, "round": round_, "kind": kind, "trigger": body.get("trigger"),
         "team_a": json.dumps(_team(body.get("team_a"), "team_a"), ensure_ascii=False),
         "team_b": json.dumps(_team(body.get("team_b"), "team_b"), ensure_ascii=False),
         "start": parse_date(body.get("start_date"), "start_date"), "end": parse_date(body.get("end_date"), "end_date"),
         "tol": float(tolerance), "basis": basis, "notes": body.get("notes"), "by": actor.name}).scalar_one()
    conn.execute(text("INSERT INTO inspection_campaign_lines (campaign_id, line_id) SELECT :c, unnest(:ids)"),
                 {"c": campaign_id, "ids": sorted(found)})
    return campaign_id


_LINE_SQL = f"""
SELECT l.id, l.name, l.line_level, l.side_a, l.side_b, l.agreement_ref, l.approval_doc,
       coalesce(l.length_m, round(ST_Length(ST_Transform(l.geom, {METRIC_SRID}))::numeric, 1)::float) AS length_m,
       l.last_inspection_date, l.next_inspection_date,
       (SELECT count(*) FROM boundary_markers m WHERE m.line_id = l.id AND m.retired_at IS NULL) AS marker_count
FROM inspection_campaign_lines cl JOIN boundary_lines l ON l.id = cl.line_id
WHERE cl.campaign_id = :id ORDER BY l.id"""


def get_campaign(conn: Connection, campaign_id: int) -> dict[str, Any]:
    row = conn.execute(text("SELECT * FROM inspection_campaigns WHERE id = :id"),
                       {"id": campaign_id}).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {campaign_id} 的联检任务", f"campaign {campaign_id} not found")
    out = dict(row)
    for key in ("start_date", "end_date"):
        out[key] = out[key].isoformat() if out[key] else None
    for key in ("created_at", "updated_at"):
        out[key] = out[key].isoformat()
    out["kind_title"] = CAMPAIGN_KINDS.get(out["kind"], out["kind"])
    out["status_title"] = CAMPAIGN_STATUSES.get(out["status"], out["status"])
    lines = [dict(r) for r in conn.execute(text(_LINE_SQL), {"id": campaign_id}).mappings()]
    for line in lines:
        for key in ("last_inspection_date", "next_inspection_date"):
            line[key] = line[key].isoformat() if line[key] else None
    out["lines"] = lines
    out["line_ids"] = [line["id"] for line in lines]
    counts = conn.execute(text(
        "SELECT count(*) AS records, count(*) FILTER (WHERE round(displacement_m::numeric, 2) > :tol) AS exceeding "
        "FROM inspection_records WHERE campaign_id = :id AND retired_at IS NULL"),
        {"id": campaign_id, "tol": out["tolerance_m"]}).mappings().one()
    out["counts"] = {"markers": sum(line["marker_count"] for line in lines), **counts}
    return out


def list_campaigns(conn: Connection, year: int | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    where = "WHERE year = :year" if year is not None else ""
    params = {"year": year, "limit": limit, "offset": offset}
    total = conn.execute(text(f"SELECT count(*) FROM inspection_campaigns {where}"), params).scalar_one()
    ids = conn.execute(text(f"SELECT id FROM inspection_campaigns {where} ORDER BY year DESC, round DESC, id DESC "
                            "LIMIT :limit OFFSET :offset"), params).scalars().all()
    items = [get_campaign(conn, i) for i in ids]
    return {"numberMatched": total, "numberReturned": len(items), "campaigns": items}


def set_status(conn: Connection, campaign_id: int, status: str, expected_version: int, actor: Actor,
               end_date: date | None = None) -> dict[str, Any]:
    """Move a campaign to ``status``. Completing a regular campaign sets its lines' last and next
    joint-inspection dates (a feature update each, so the line's history shows it).
    """
    if status not in CAMPAIGN_STATUSES:
        raise InvalidInput("status 应为 planned、in_progress 或 completed", "bad status", field="status")
    campaign = get_campaign(conn, campaign_id)
    if status == "completed":
        end_date = end_date or (date.fromisoformat(campaign["end_date"]) if campaign["end_date"] else date.today())
    row = conn.execute(text(
        "UPDATE inspection_campaigns SET status = :status, end_date = coalesce(:end, end_date), version = version + 1, "
        "updated_at = now(), updated_by = :by WHERE id = :id AND version = :v RETURNING version"),
        {"status": status, "end": end_date, "by": actor.name, "id": campaign_id, "v": expected_version}).first()
    if row is None:
        raise VersionConflict(f"联检任务已被他人修改（当前第 {campaign['version']} 版），请刷新后重试",
                              "campaign version conflict", current_version=campaign["version"])
    if status == "completed" and campaign["kind"] == "regular" and end_date is not None:
        for line in campaign["lines"]:
            version = conn.execute(text("SELECT version FROM boundary_lines WHERE id = :id"),
                                   {"id": line["id"]}).scalar_one()
            update_feature(conn, LINES_SPEC, line["id"], version,
                           {"last_inspection_date": end_date,
                            "next_inspection_date": next_inspection_date(end_date, INSPECTION_CYCLE_YEARS)},
                           None, actor, reason=f"联检任务“{campaign['name']}”（编号 {campaign_id}）完成")
    return get_campaign(conn, campaign_id)


def add_finding(conn: Connection, campaign_id: int, body: dict[str, Any], geom: BaseGeometry | None,
                actor: Actor) -> dict[str, Any]:
    """Record something found along a line: a changed feature, cross-boundary construction, a problem."""
    campaign = get_campaign(conn, campaign_id)
    line_id, kind, description = body.get("line_id"), body.get("kind"), body.get("description")
    if line_id not in campaign["line_ids"]:
        raise InvalidInput("该界线不属于本次联检任务", f"line {line_id} is not in campaign {campaign_id}",
                           field="line_id")
    if kind not in FINDING_KINDS:
        raise InvalidInput("kind 应为 " + "、".join(f"{k}（{v}）" for k, v in FINDING_KINDS.items()), "bad kind",
                           field="kind")
    if not isinstance(description, str) or not description.strip():
        raise InvalidInput("请填写情况说明（description）", "description is required", field="description")
    row = conn.execute(text(
        "INSERT INTO inspection_line_findings (campaign_id, line_id, kind, description, handling, geom, created_by) "
        f"VALUES (:c, :l, :k, :d, :h, ST_GeomFromWKB(:wkb, {STORAGE_SRID}), :by) RETURNING id"),
        {"c": campaign_id, "l": line_id, "k": kind, "d": description.strip(), "h": body.get("handling"),
         "wkb": geom.wkb if geom is not None else None, "by": actor.name}).scalar_one()
    return next(f for f in list_findings(conn, campaign_id) if f["id"] == row)


def list_findings(conn: Connection, campaign_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(text(
        "SELECT f.id, f.line_id, l.name AS line_name, f.kind, f.description, f.handling, f.created_at, f.created_by, "
        "ST_AsGeoJSON(f.geom, 9, 0) AS geometry FROM inspection_line_findings f "
        "JOIN boundary_lines l ON l.id = f.line_id WHERE f.campaign_id = :c ORDER BY f.line_id, f.id"),
        {"c": campaign_id}).mappings()
    return [{**r, "kind_title": FINDING_KINDS.get(r["kind"], r["kind"]), "created_at": r["created_at"].isoformat(),
             "created_by_title": account_title(r["created_by"]),
             "geometry": json.loads(r["geometry"]) if r["geometry"] else None} for r in rows]
