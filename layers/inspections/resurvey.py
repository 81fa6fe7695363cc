"""Re-survey (复测): accept a new registered position for a marker — the only way a marker moves.

《行政区域界线管理条例》第六条: nobody may move a marker on their own; a marker that must be moved is moved
by the adjacent governments together — agreed, surveyed jointly and filed. So a re-survey needs the
approving document's number and the confirmation of both sides of the marker's line (who confirmed for
each side, on which date). The marker's generic write path refuses a new position
(``layers.boundaries.validate_marker_write``); this workflow makes the update with ``workflow="resurvey"``
and keeps the confirmations in ``marker_resurveys``, next to the version in ``feature_history`` they
produced (whose reason quotes the document and both confirmations too).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.boundaries import LAYERS, SURVEY_METHODS
from layers.errors import InvalidInput, NotFound
from layers.features import update_feature
from layers.inspections.campaigns import parse_date
from layers.roles import Actor

MARKERS_SPEC = next(s for s in LAYERS if s.name == "boundary_markers")
SIDES = {"side_a": "甲方", "side_b": "乙方"}
BASIS = "《行政区域界线管理条例》第六条：移动界桩须界线双方协商一致、共同测绘并备案"
MAX_TEXT = 200


def _text(value: Any, label: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"请填写{label}", f"{name} is required", field=name)
    if len(value.strip()) > MAX_TEXT:
        raise InvalidInput(f"{label}过长（最多 {MAX_TEXT} 字）", f"{name} is too long", field=name)
    return value.strip()


def check_confirmations(value: Any, parties: dict[str, str], today: date) -> dict[str, dict[str, Any]]:
    """Both sides' confirmations ``{"side_a": {"confirmed_by", "confirmed_on"}, "side_b": {…}}``, each with
    its party (the line's side) added; a missing side, name or date, or a date after ``today`` is refused.

    >>> parties = {"side_a": "海城市", "side_b": "大石桥市"}
    >>> check_confirmations({"side_a": {"confirmed_by": "王一", "confirmed_on": "2025-05-02"},
    ...                      "side_b": {"confirmed_by": "赵三", "confirmed_on": "2025-05-03"}}, parties,
    ...                     date(2025, 6, 1))["side_b"]
    {'party': '大石桥市', 'confirmed_by': '赵三', 'confirmed_on': '2025-05-03'}
    >>> check_confirmations({"side_a": {"confirmed_by": "王一", "confirmed_on": "2025-05-02"}}, parties,
    ...                     date(2025, 6, 1))
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: confirmations.side_b is required
    """
    if not isinstance(value, dict):
        raise InvalidInput(f"请给出界线双方的确认 confirmations：甲方（{parties['side_a']}）和"
                           f"乙方（{parties['side_b']}）各自的确认人与确认日期（{BASIS}）",
                           "confirmations of both sides are required", field="confirmations")
    out = {}
    for key, title in SIDES.items():
        where = f"confirmations.{key}"
        item = value.get(key)
        if not isinstance(item, dict):
            raise InvalidInput(f"缺少{title}（{parties[key]}）的确认：复测须经界线双方确认（{BASIS}）",
                               f"{where} is required", field=where)
        who = _text(item.get("confirmed_by"), f"{title}（{parties[key]}）确认人", f"{where}.confirmed_by")
        when = parse_date(item.get("confirmed_on"), f"{where}.confirmed_on")
        if when is None:
            raise InvalidInput(f"请填写{title}（{parties[key]}）的确认日期（YYYY-MM-DD）",
                               f"{where}.confirmed_on is required", field=f"{where}.confirmed_on")
        if when > today:
            raise InvalidInput(f"{title}（{parties[key]}）的确认日期 {when} 晚于今天",
                               f"{where}.confirmed_on is in the future", field=f"{where}.confirmed_on")
        out[key] = {"party": parties[key], "confirmed_by": who, "confirmed_on": when.isoformat()}
    return out


def _line_parties(conn: Connection, marker_id: int) -> dict[str, str]:
    row = conn.execute(text("SELECT l.side_a, l.side_b FROM boundary_markers m JOIN boundary_lines l "
                            "ON l.id = m.line_id WHERE m.id = :id AND m.retired_at IS NULL"), {"id": marker_id}).first()
    if row is None:
        raise NotFound(f"没有编号为 {marker_id} 的在册界桩", f"marker {marker_id} not found")
    return {"side_a": row[0], "side_b": row[1]}


def _record_position(conn: Connection, marker_id: int, record_id: int) -> tuple[Point, float | None, date | None]:
    row = conn.execute(text("SELECT marker_id, ST_X(geom), ST_Y(geom), accuracy_m, measured_at "
                            "FROM inspection_records WHERE id = :id AND retired_at IS NULL"),
                       {"id": record_id}).first()
    if row is None:
        raise NotFound(f"没有编号为 {record_id} 的检查记录", f"record {record_id} not found")
    if row[0] != marker_id:
        raise InvalidInput("该检查记录不属于此界桩", f"record {record_id} is not of marker {marker_id}",
                           field="record_id")
    if row[1] is None:
        raise InvalidInput("该检查记录没有实测位置", "record has no measured position", field="record_id")
    return Point(row[1], row[2]), row[3], row[4].date() if row[4] else None


def accept_position(conn: Connection, marker_id: int, expected_version: int, actor: Actor, *, document: Any,
                    confirmations: Any, geom: BaseGeometry | None = None, record_id: int | None = None,
                    survey_method: str | None = None, accuracy_m: float | None = None,
                    survey_date: date | None = None) -> int:
    """Make ``geom`` (or the measured position of record ``record_id``) the registered position;
    returns the marker's new version. ``document`` is the approving document's number (e.g. the joint
    re-survey record) and ``confirmations`` both sides' (see :func:`check_confirmations`): a marker is
    never moved without them.
    """
    document = _text(document, f"批准复测的文件号（document），界桩位置不得无依据变更（{BASIS}）", "document")
    confirmed = check_confirmations(confirmations, _line_parties(conn, marker_id), date.today())
    if survey_method is not None and survey_method not in SURVEY_METHODS:
        raise InvalidInput("测量方法应为 " + "、".join(SURVEY_METHODS), "bad survey_method", field="survey_method")
    if (geom is None) == (record_id is None):
        raise InvalidInput("请给出新位置（geometry）或检查记录编号（record_id）之一",
                           "give exactly one of geometry or record_id")
    if record_id is not None:
        geom, measured_accuracy, measured_on = _record_position(conn, marker_id, record_id)
        accuracy_m = accuracy_m if accuracy_m is not None else measured_accuracy
        survey_date = survey_date or measured_on
    props: dict[str, Any] = {"position_doc": document, "registered_date": survey_date or date.today()}
    if survey_method:
        props["survey_method"] = survey_method
    if accuracy_m is not None:
        props["accuracy_m"] = accuracy_m
    sides = "，".join(f"{SIDES[k]}{c['party']} {c['confirmed_by']} {c['confirmed_on']} 确认"
                     for k, c in confirmed.items())
    version = update_feature(conn, MARKERS_SPEC, marker_id, expected_version, props, geom, actor,
                             reason=f"复测，更新登记位置：{document}；{sides}", workflow="resurvey")
    conn.execute(text(
        "INSERT INTO marker_resurveys (marker_id, marker_version, document, record_id, side_a_party, "
        "side_a_confirmed_by, side_a_confirmed_on, side_b_party, side_b_confirmed_by, side_b_confirmed_on, "
        "recorded_by) VALUES (:marker, :version, :document, :record, :a_party, :a_by, :a_on, :b_party, :b_by, "
        ":b_on, :by)"),
        {"marker": marker_id, "version": version, "document": document, "record": record_id,
         "a_party": confirmed["side_a"]["party"], "a_by": confirmed["side_a"]["confirmed_by"],
         "a_on": confirmed["side_a"]["confirmed_on"], "b_party": confirmed["side_b"]["party"],
         "b_by": confirmed["side_b"]["confirmed_by"], "b_on": confirmed["side_b"]["confirmed_on"], "by": actor.name})
    return version


def position_history(conn: Connection, marker_id: int) -> list[dict[str, Any]]:
    """Every registered position of a marker, oldest first, with the document, the reason and — for a
    re-survey — both sides' confirmations of each change.
    """
    rows = conn.execute(text(
        "SELECT h.version, h.operation, h.changed_at, h.changed_by, h.reason, h.data->>'position_doc' AS position_doc, "
        "ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, "
        "lag(ST_AsBinary(h.geom)) OVER (ORDER BY h.version, h.id) AS previous, ST_AsBinary(h.geom) AS current, "
        "r.side_a_party, r.side_a_confirmed_by, r.side_a_confirmed_on, r.side_b_party, r.side_b_confirmed_by, "
        "r.side_b_confirmed_on FROM feature_history h LEFT JOIN marker_resurveys r "
        "ON r.marker_id = h.feature_id AND r.marker_version = h.version "
        "WHERE h.layer = 'boundary_markers' AND h.feature_id = :id ORDER BY h.version, h.id"),
        {"id": marker_id}).mappings().all()
    if not rows:
        raise NotFound(f"没有编号为 {marker_id} 的界桩", f"marker {marker_id} not found")
    out = []
    for r in rows:
        if r["previous"] is not None and bytes(r["previous"]) == bytes(r["current"]):
            continue
        confirmations = None
        if r["side_a_party"] is not None:
            confirmations = {key: {"party": r[f"{key}_party"], "confirmed_by": r[f"{key}_confirmed_by"],
                                   "confirmed_on": r[f"{key}_confirmed_on"].isoformat()} for key in SIDES}
        out.append({"version": r["version"], "operation": r["operation"], "changed_at": r["changed_at"].isoformat(),
                    "changed_by": r["changed_by"], "reason": r["reason"], "position_doc": r["position_doc"],
                    "lon": r["lon"], "lat": r["lat"], "confirmations": confirmations})
    return out
