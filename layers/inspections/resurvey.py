"""Re-survey (复测): accept a new registered position for a marker.

A normal feature update of the marker — new geometry, the approving document in ``position_doc``,
the survey facts — with the document as the reason, so ``feature_history`` keeps every position the
marker ever had together with the document that allowed it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.boundaries import LAYERS, SURVEY_METHODS
from layers.errors import InvalidInput, NotFound
from layers.features import Actor, update_feature

MARKERS_SPEC = next(s for s in LAYERS if s.name == "boundary_markers")


def accept_position(conn: Connection, marker_id: int, expected_version: int, actor: Actor, *, document: str,
                    geom: BaseGeometry | None = None, record_id: int | None = None,
                    survey_method: str | None = None, accuracy_m: float | None = None,
                    survey_date: date | None = None) -> int:
    """Make ``geom`` (or the measured position of record ``record_id``) the registered position;
    returns the marker's new version. ``document`` is the approval (e.g. the joint re-survey record
    signed by both sides) and is required: a marker is never moved without one.
    """
    if not isinstance(document, str) or not document.strip():
        raise InvalidInput("请填写批准复测的文件（document），界桩位置不得无依据变更",
                           "document is required to change a registered position", field="document")
    if survey_method is not None and survey_method not in SURVEY_METHODS:
        raise InvalidInput("测量方法应为 " + "、".join(SURVEY_METHODS), "bad survey_method", field="survey_method")
    if (geom is None) == (record_id is None):
        raise InvalidInput("请给出新位置（geometry）或检查记录编号（record_id）之一",
                           "give exactly one of geometry or record_id")
    if record_id is not None:
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
        geom = Point(row[1], row[2])
        accuracy_m = accuracy_m if accuracy_m is not None else row[3]
        survey_date = survey_date or (row[4].date() if row[4] else None)
    props: dict[str, Any] = {"position_doc": document.strip(), "registered_date": survey_date or date.today()}
    if survey_method:
        props["survey_method"] = survey_method
    if accuracy_m is not None:
        props["accuracy_m"] = accuracy_m
    return update_feature(conn, MARKERS_SPEC, marker_id, expected_version, props, geom, actor,
                          reason=f"复测，更新登记位置：{document.strip()}")


def position_history(conn: Connection, marker_id: int) -> list[dict[str, Any]]:
    """Every registered position of a marker, oldest first, with the document and reason of each change."""
    rows = conn.execute(text(
        "SELECT version, operation, changed_at, changed_by, reason, data->>'position_doc' AS position_doc, "
        "ST_X(geom) AS lon, ST_Y(geom) AS lat, lag(ST_AsBinary(geom)) OVER (ORDER BY version, id) AS previous, "
        "ST_AsBinary(geom) AS current FROM feature_history WHERE layer = 'boundary_markers' AND feature_id = :id "
        "ORDER BY version, id"), {"id": marker_id}).mappings().all()
    if not rows:
        raise NotFound(f"没有编号为 {marker_id} 的界桩", f"marker {marker_id} not found")
    return [{"version": r["version"], "operation": r["operation"], "changed_at": r["changed_at"].isoformat(),
             "changed_by": r["changed_by"], "reason": r["reason"], "position_doc": r["position_doc"],
             "lon": r["lon"], "lat": r["lat"]}
            for r in rows if r["previous"] is None or bytes(r["previous"]) != bytes(r["current"])]
