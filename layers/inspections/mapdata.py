"""GeoJSON for the inspection map, built in SQL: lines by inspection status, markers by their latest
condition, displacement arrows (registered → measured position).

Line status on a date: ``overdue`` — past its next joint-inspection date, or never inspected;
``due`` — the next date falls within the due window (default 365 days, ``data/inspections``);
``done`` — inspected within the cycle and not yet due. A line in an open campaign also carries
``in_campaign``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from formats.srids import STORAGE_SRID
from layers.inspections.displacement import defaults

STATUS_TITLES = {"overdue": "逾期未检", "due": "待检", "done": "已检"}


def line_status(next_date: date | None, today: date, window_days: int) -> str:
    """The status of a line whose next joint inspection is due on ``next_date``.

    >>> line_status(date(2024, 10, 15), date(2025, 1, 1), 365), line_status(None, date(2025, 1, 1), 365)
    ('overdue', 'overdue')
    >>> line_status(date(2025, 6, 1), date(2025, 1, 1), 365), line_status(date(2027, 6, 1), date(2025, 1, 1), 365)
    ('due', 'done')
    """
    if next_date is None or next_date < today:
        return "overdue"
    return "due" if (next_date - today).days <= window_days else "done"


def lines_geojson(conn: Connection, today: date | None = None, bbox: tuple[float, ...] | None = None) -> str:
    window = int(defaults()["due_window_days"]["value"])
    where = "l.retired_at IS NULL"
    params: dict[str, Any] = {"today": today or date.today(), "window": window}
    if bbox:
        where += f" AND ST_Intersects(l.geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, {STORAGE_SRID}))"
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    sql = f"""
    WITH s AS (
      SELECT l.*, CASE WHEN l.next_inspection_date IS NULL OR l.next_inspection_date < :today THEN 'overdue'
                       WHEN l.next_inspection_date - :today <= :window THEN 'due' ELSE 'done' END AS status,
             EXISTS (SELECT 1 FROM inspection_campaign_lines cl JOIN inspection_campaigns c ON c.id = cl.campaign_id
                     WHERE cl.line_id = l.id AND c.status <> 'completed') AS in_campaign
      FROM boundary_lines l WHERE {where})
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
      'type', 'Feature', 'id', s.id, 'geometry', ST_AsGeoJSON(s.geom, 9, 0)::json,
      'properties', json_build_object('name', s.name, 'line_level', s.line_level, 'side_a', s.side_a,
        'side_b', s.side_b, 'last_inspection_date', s.last_inspection_date,
        'next_inspection_date', s.next_inspection_date, 'status', s.status,
        'status_title', CASE s.status WHEN 'overdue' THEN '逾期未检' WHEN 'due' THEN '待检' ELSE '已检' END,
        'in_campaign', s.in_campaign)) ORDER BY s.id), '[]'::json))::text FROM s"""
    return conn.execute(text(sql), params).scalar_one()


_LATEST = """
SELECT DISTINCT ON (r.marker_id) r.marker_id, r.id AS record_id, r.campaign_id, r.condition, r.measured_at,
       r.displacement_m, r.displacement_dx_m, r.displacement_dy_m, r.geom AS measured, r.registered_geom,
       c.tolerance_m
FROM inspection_records r JOIN inspection_campaigns c ON c.id = r.campaign_id
WHERE r.retired_at IS NULL {scope}
ORDER BY r.marker_id, r.measured_at DESC NULLS LAST, r.id DESC"""


def markers_geojson(conn: Connection, campaign_id: int | None = None, line_id: int | None = None) -> str:
    """Markers with their latest condition and displacement (of one campaign when given), and the
    warning when a marker has fewer 方位物 than the rule asks (``reference_warning``).
    """
    scope = "AND r.campaign_id = :c" if campaign_id is not None else ""
    filters = ["m.retired_at IS NULL"]
    if campaign_id is not None:
        filters.append("m.line_id IN (SELECT line_id FROM inspection_campaign_lines WHERE campaign_id = :c)")
    if line_id is not None:
        filters.append("m.line_id = :l")
    sql = f"""
    WITH latest AS ({_LATEST.format(scope=scope)})
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
      'type', 'Feature', 'id', m.id, 'geometry', ST_AsGeoJSON(m.geom, 9, 0)::json,
      'properties', json_build_object('line_id', m.line_id, 'number', m.number, 'marker_type', m.marker_type,
        'reference_warning', m.reference_warning, 'record_id', x.record_id, 'campaign_id', x.campaign_id,
        'condition', coalesce(x.condition, 'not_inspected'),
        'measured_at', x.measured_at, 'displacement_m', round(x.displacement_m::numeric, 2),
        'displacement_dx_m', round(x.displacement_dx_m::numeric, 2),
        'displacement_dy_m', round(x.displacement_dy_m::numeric, 2),
        'exceeds_tolerance', coalesce(round(x.displacement_m::numeric, 2) > x.tolerance_m, false),
        'measured_position', ST_AsGeoJSON(x.measured, 9, 0)::json)) ORDER BY m.line_id, m.number), '[]'::json))::text
    FROM boundary_markers m LEFT JOIN latest x ON x.marker_id = m.id WHERE {' AND '.join(filters)}"""
    return conn.execute(text(sql), {"c": campaign_id, "l": line_id}).scalar_one()


def displacement_arrows_geojson(conn: Connection, campaign_id: int) -> str:
    """One LineString per measured marker, from the registered to the measured position."""
    sql = """
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
      'type', 'Feature', 'id', r.id,
      'geometry', ST_AsGeoJSON(ST_MakeLine(r.registered_geom, r.geom), 9, 0)::json,
      'properties', json_build_object('marker_id', r.marker_id, 'number', m.number, 'condition', r.condition,
        'displacement_m', round(r.displacement_m::numeric, 2),
        'exceeds_tolerance', round(r.displacement_m::numeric, 2) > c.tolerance_m)) ORDER BY r.id), '[]'::json))::text
    FROM inspection_records r JOIN boundary_markers m ON m.id = r.marker_id
    JOIN inspection_campaigns c ON c.id = r.campaign_id
    WHERE r.campaign_id = :c AND r.retired_at IS NULL AND r.geom IS NOT NULL AND r.registered_geom IS NOT NULL"""
    return conn.execute(text(sql), {"c": campaign_id}).scalar_one()
