"""Field results back into a campaign: an edited GeoPackage, a CSV table or GPX waypoints.

All in one transaction (the caller's): every row is checked first — a row that cannot be read refuses
the whole file; then each row is planned as created / updated / unchanged / conflict; only then are
rows written. Importing the same file twice changes nothing. Conflicts — two different records for
one marker, a marker that is not on the campaign's lines — are listed; by default nothing is written
while there are any (``on_conflict="abort"``); ``"skip"`` writes the rest, ``"incoming"`` lets the
file's record replace the stored one for the same marker (the stored one stays in history).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry import mapping
from sqlalchemy import Connection

from layers.errors import DomainError, InvalidInput
from layers.geometry import validate_geometry
from layers.inspections.field_records import FieldFile, FieldRow
from layers.inspections.models import CONDITIONS
from layers.inspections.records import (
    CHINA_TIME,
    MarkerRef,
    RecordInput,
    campaign_markers,
    insert_record,
    stored_by_key,
    stored_by_marker,
    update_record,
)
from layers.roles import Actor

ON_CONFLICT = ("abort", "skip", "incoming")
_LABELS = {label: code for code, label in CONDITIONS.items()}
_REF = re.compile(r"^L(\d+)-(.+)$")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = True
    record_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "conflicts": self.conflicts, "applied": self.applied}


def parse_condition(value: Any, *, lenient: bool = False) -> str | None:
    """A condition code from a code or its Chinese label (``注记不清（需描红）`` too).

    >>> parse_condition("完好"), parse_condition("tilted"), parse_condition(" 注记不清（需描红） ")
    ('intact', 'tilted', 'illegible')
    >>> parse_condition(None) is None
    True
    """
    if value is None or value == "":
        return None
    name = re.sub(r"[（(].*[)）]$", "", str(value).strip()).strip()
    if name in CONDITIONS:
        return name
    if name in _LABELS:
        return _LABELS[name]
    if lenient:
        return None
    raise ValueError(value)


def parse_time(value: Any) -> datetime | None:
    """A timestamp; one without a zone is China Standard Time (UTC+8). Seconds are kept, not fractions.

    >>> parse_time("2025-05-01 10:00:00").isoformat()
    '2025-05-01T10:00:00+08:00'
    """
    if value in (None, ""):
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TIME)
    return when.replace(microsecond=0)


def _marker_for(values: dict[str, Any], markers: dict[int, MarkerRef]) -> int | None:
    raw_id = values.get("marker_id")
    if raw_id not in (None, ""):
        return int(float(raw_id))
    ref = str(values.get("marker") or "")
    match = _REF.match(ref)
    for marker in markers.values():
        if (match and marker.line_id == int(match.group(1)) and marker.number == match.group(2)) or marker.code == ref:
            return marker.id
    same_number = [m.id for m in markers.values() if m.number == ref]
    return same_number[0] if len(same_number) == 1 else -1  # -1: named, but not a marker of this campaign


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[;,；，\n]", str(value)) if part.strip()]


def to_input(row: FieldRow, kind: str, markers: dict[int, MarkerRef], margin: float) -> RecordInput:
    """One file row as a record; raises :class:`InvalidInput` naming the row."""
    v = row.values
    try:
        marker_id = _marker_for(v, markers)
    except (TypeError, ValueError, OverflowError):  # messages name the row and field, never the file's text
        raise InvalidInput(f"{row.where}：界桩编号（marker_id）不是整数", "bad marker_id") from None
    if marker_id is None:
        raise InvalidInput(f"{row.where}：缺少界桩编号（marker_id）", "marker_id missing")
    condition, notes = v.get("condition"), v.get("notes")
    try:
        code = parse_condition(condition, lenient=(kind == "gpx"))
    except ValueError:
        raise InvalidInput(f"{row.where}：界桩状况不在可选值中（" + "、".join(CONDITIONS.values()) + "）",
                           "unknown condition") from None
    if kind == "gpx" and code is None and condition:  # a handheld's comment that is not a condition is a note
        notes = "；".join(n for n in (str(condition), notes) if n)
    try:
        measured_at = parse_time(v.get("measured_at"))
    except ValueError:
        raise InvalidInput(f"{row.where}：检查时间无法识别（应为 YYYY-MM-DD HH:MM）", "bad measured_at") from None
    geom = None
    if row.geometry is not None:
        try:
            geom = validate_geometry(mapping(row.geometry), "Point", row.crs, margin)
        except DomainError as exc:
            raise InvalidInput(f"{row.where}：实测位置有误：{exc.message}", f"bad position: {exc.message_en}") from None
    accuracy = v.get("accuracy_m")
    try:
        accuracy = float(accuracy) if accuracy not in (None, "") else None
    except ValueError:
        raise InvalidInput(f"{row.where}：测量精度应为数值", "bad accuracy_m") from None
    client_id = v.get("client_id")
    return RecordInput(
        marker_id=marker_id, client_id=str(client_id) if client_id else None, condition=code,
        measured_at=measured_at, inspector=v.get("inspector"), inspector_partner=v.get("inspector_partner"),
        reference_check=v.get("reference_check"), notes=notes, photo_names=_names(v.get("photo_names")),
        accuracy_m=accuracy, geom=geom, where=row.where)


def _conflict(kind: str, message: str, record: RecordInput, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "message": message, "where": record.where, "marker_id": record.marker_id,
            "client_id": record.key, **extra}


def plan_and_apply(conn: Connection, campaign_id: int, records: list[RecordInput], actor: Actor, reason: str,
                   on_conflict: str = "abort") -> ImportResult:
    """Classify every record, then write them unless conflicts stop the import."""
    if on_conflict not in ON_CONFLICT:
        raise InvalidInput("on_conflict 应为 abort、skip 或 incoming", "bad on_conflict", field="on_conflict")
    markers = campaign_markers(conn, campaign_id)
    by_key, by_marker = stored_by_key(conn, campaign_id), stored_by_marker(conn, campaign_id)
    result, todo = ImportResult(), []
    seen: dict[Any, Any] = {}
    by_marker_in_file: dict[int, RecordInput] = {}
    for record in records:
        key = record.key
        if key in seen:
            if seen[key].content_hash() != record.content_hash():
                result.conflicts.append(_conflict("duplicate_client_id", "同一记录标识在文件中出现两次且内容不同",
                                                  record, other=seen[key].where))
            continue  # the same record twice in one file counts once
        seen[key] = record
        if record.marker_id not in markers:
            result.conflicts.append(_conflict("unknown_marker", "界桩不在本次联检的界线上（或已注销、不存在）", record))
            continue
        other = by_marker_in_file.get(record.marker_id)
        if other is not None:
            result.conflicts.append(_conflict("two_records_in_file", "文件中同一界桩有两条不同的记录", record,
                                              other=other.where))
            continue
        by_marker_in_file[record.marker_id] = record
        stored = by_key.get(key)
        if stored is not None:
            if stored["marker_id"] != record.marker_id:
                result.conflicts.append(_conflict("client_id_reused", "记录标识已用于另一个界桩的记录", record,
                                                  record_id=stored["id"]))
            elif stored["retired"] or stored["content_hash"] == record.content_hash():
                result.unchanged += 1
                result.record_ids.append(stored["id"])
            else:
                todo.append(("update", stored["id"], record))
            continue
        existing = by_marker.get(record.marker_id)
        if existing is not None:
            if on_conflict == "incoming":
                todo.append(("update", existing["id"], record))
            else:
                result.conflicts.append(_conflict(
                    "marker_has_record", "该界桩在本次联检中已有另一条记录", record, record_id=existing["id"],
                    existing={"client_id": existing["client_id"], "condition": existing["condition"],
                              "measured_at": existing["measured_at"].isoformat() if existing["measured_at"] else None}))
            continue
        todo.append(("create", None, record))
    if result.conflicts and on_conflict == "abort":
        result.applied = False
        result.unchanged = 0
        result.record_ids = []
        return result
    for action, record_id, record in todo:
        marker = markers[record.marker_id]
        if action == "create":
            result.record_ids.append(insert_record(conn, campaign_id, record, marker, actor, reason))
            result.created += 1
        else:
            update_record(conn, record_id, record, marker, actor, reason)
            result.record_ids.append(record_id)
            result.updated += 1
    return result


def import_file(conn: Connection, campaign_id: int, data: FieldFile, actor: Actor, filename: str,
                on_conflict: str = "abort", margin: float = 0.05) -> ImportResult:
    """Check every row of a field file, then plan and write (see the module docstring)."""
    if data.campaign_id is not None and data.campaign_id != campaign_id:
        raise InvalidInput(f"该外业数据包属于联检任务 {data.campaign_id}，不是本任务（{campaign_id}）",
                           f"package is for campaign {data.campaign_id}, not {campaign_id}", field="file")
    markers = campaign_markers(conn, campaign_id)
    records, problems = [], []
    for row in data.rows:
        try:
            records.append(to_input(row, data.kind, markers, margin))
        except InvalidInput as exc:
            problems.append({"where": row.where, "message": exc.message, "message_en": exc.message_en})
    if problems:
        first = "；".join(p["message"] for p in problems[:5])
        raise InvalidInput(f"文件有 {len(problems)} 处错误，未导入任何记录：{first}",
                           f"{len(problems)} rows cannot be read; nothing was imported", problems=problems)
    return plan_and_apply(conn, campaign_id, records, actor, f"导入外业成果：{filename}", on_conflict)
