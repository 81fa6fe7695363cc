"""Inspection records: one per marker and campaign, written idempotently, with displacement computed
against the marker's registered position at the time of the record.

A record is identified by its client id (phones and field apps make one per record); when a file has
none, the key is derived from the marker, the time and the measured position. Writing the same record
twice changes nothing; a second, different record for the same marker is a conflict.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import shapely
from shapely.geometry import Point
from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.errors import NotFound
from layers.features import set_actor
from layers.inspections.displacement import centimetres, displacement, exceeds, grid_positions
from layers.inspections.models import CONDITIONS
from layers.labels import account_title
from layers.roles import Actor

CHINA_TIME = timezone(timedelta(hours=8))  # times are shown in China Standard Time
CONTENT_FIELDS = ("marker_id", "condition", "measured_at", "inspector", "inspector_partner", "reference_check",
                  "notes", "photo_names", "accuracy_m")


@dataclass
class RecordInput:
    marker_id: int
    client_id: str | None = None
    condition: str | None = None
    measured_at: datetime | None = None
    inspector: str | None = None
    inspector_partner: str | None = None
    reference_check: str | None = None
    notes: str | None = None
    photo_names: list[str] = field(default_factory=list)
    accuracy_m: float | None = None
    geom: Point | None = None  # EPSG:4490
    where: str = ""  # the row of the file it came from

    @property
    def key(self) -> str:
        """The client id, or one derived from marker, time and position (to 1e-7° ≈ 1 cm)."""
        if self.client_id:
            return self.client_id
        when = self.measured_at.astimezone(UTC).isoformat() if self.measured_at else ""
        where = f"{self.geom.x:.7f},{self.geom.y:.7f}" if self.geom is not None else ""
        return f"auto:{self.marker_id}:{when}:{where}"

    def content(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in CONTENT_FIELDS}
        out["measured_at"] = self.measured_at.astimezone(UTC).isoformat() if self.measured_at else None
        out["geom"] = [round(self.geom.x, 9), round(self.geom.y, 9)] if self.geom is not None else None
        return out

    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.content(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class MarkerRef:
    id: int
    line_id: int
    number: str
    version: int
    lon: float
    lat: float

    @property
    def code(self) -> str:
        """The short name used on handhelds: ``L<line>-<number>``."""
        return f"L{self.line_id}-{self.number}"


def campaign_markers(conn: Connection, campaign_id: int) -> dict[int, MarkerRef]:
    """The markers in service on the campaign's lines, by id."""
    rows = conn.execute(text(
        "SELECT m.id, m.line_id, m.number, m.version, ST_X(m.geom), ST_Y(m.geom) FROM boundary_markers m "
        "JOIN inspection_campaign_lines cl ON cl.line_id = m.line_id AND cl.campaign_id = :c "
        "WHERE m.retired_at IS NULL ORDER BY m.line_id, m.number"), {"c": campaign_id}).all()
    return {r[0]: MarkerRef(*r) for r in rows}


def stored_by_key(conn: Connection, campaign_id: int) -> dict[str, dict[str, Any]]:
    rows = conn.execute(text(
        "SELECT id, client_id, marker_id, content_hash, version, retired_at IS NOT NULL AS retired "
        "FROM inspection_records WHERE campaign_id = :c"), {"c": campaign_id}).mappings()
    return {r["client_id"]: dict(r) for r in rows}


def stored_by_marker(conn: Connection, campaign_id: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute(text(
        "SELECT id, client_id, marker_id, condition, measured_at, version FROM inspection_records "
        "WHERE campaign_id = :c AND retired_at IS NULL"), {"c": campaign_id}).mappings()
    return {r["marker_id"]: dict(r) for r in rows}


def _values(record: RecordInput, marker: MarkerRef) -> dict[str, Any]:
    moved = displacement((marker.lon, marker.lat), (record.geom.x, record.geom.y)) if record.geom is not None else None
    return {
        "marker_id": record.marker_id, "client_id": record.key, "condition": record.condition,
        "measured_at": record.measured_at, "inspector": record.inspector,
        "inspector_partner": record.inspector_partner, "reference_check": record.reference_check,
        "notes": record.notes, "photo_names": record.photo_names or None, "accuracy_m": record.accuracy_m,
        "marker_version": marker.version, "reg_wkb": shapely.to_wkb(Point(marker.lon, marker.lat)),
        "wkb": shapely.to_wkb(record.geom) if record.geom is not None else None,
        "displacement_m": moved.metres if moved else None, "dx": moved.dx_m if moved else None,
        "dy": moved.dy_m if moved else None, "content_hash": record.content_hash(),
    }


def insert_record(conn: Connection, campaign_id: int, record: RecordInput, marker: MarkerRef, actor: Actor,
                  reason: str) -> int:
    set_actor(conn, actor, reason)
    return conn.execute(text(
        "INSERT INTO inspection_records (campaign_id, marker_id, client_id, condition, measured_at, inspector, "
        "inspector_partner, reference_check, notes, photo_names, accuracy_m, marker_version, registered_geom, geom, "
        "displacement_m, displacement_dx_m, displacement_dy_m, content_hash, source) VALUES (:campaign_id, "
        ":marker_id, :client_id, :condition, :measured_at, :inspector, :inspector_partner, :reference_check, :notes, "
        ":photo_names, :accuracy_m, :marker_version, "
        f"ST_GeomFromWKB(:reg_wkb, {STORAGE_SRID}), ST_GeomFromWKB(:wkb, {STORAGE_SRID}), "
        ":displacement_m, :dx, :dy, :content_hash, 'field') RETURNING id"),
        {"campaign_id": campaign_id, **_values(record, marker)}).scalar_one()


def update_record(conn: Connection, record_id: int, record: RecordInput, marker: MarkerRef, actor: Actor,
                  reason: str) -> None:
    """Replace a record's content (its previous version stays in ``feature_history``). The displacement is
    measured against the registered position the record was first compared with.
    """
    set_actor(conn, actor, reason)
    values = _values(record, marker)
    stored = conn.execute(text("SELECT ST_X(registered_geom), ST_Y(registered_geom), marker_version "
                               "FROM inspection_records WHERE id = :id"), {"id": record_id}).one()
    if stored[0] is not None and record.geom is not None:
        moved = displacement((stored[0], stored[1]), (record.geom.x, record.geom.y))
        values.update(displacement_m=moved.metres, dx=moved.dx_m, dy=moved.dy_m, marker_version=stored[2],
                      reg_wkb=shapely.to_wkb(Point(stored[0], stored[1])))
    conn.execute(text(
        "UPDATE inspection_records SET marker_id = :marker_id, client_id = :client_id, condition = :condition, "
        "measured_at = :measured_at, inspector = :inspector, inspector_partner = :inspector_partner, "
        "reference_check = :reference_check, notes = :notes, photo_names = :photo_names, accuracy_m = :accuracy_m, "
        f"marker_version = :marker_version, registered_geom = ST_GeomFromWKB(:reg_wkb, {STORAGE_SRID}), "
        f"geom = ST_GeomFromWKB(:wkb, {STORAGE_SRID}), displacement_m = :displacement_m, displacement_dx_m = :dx, "
        "displacement_dy_m = :dy, content_hash = :content_hash WHERE id = :id"), {"id": record_id, **values})


_RECORD_SQL = """
SELECT r.id, r.campaign_id, r.marker_id, m.line_id, m.number AS marker_number,
       m.reference_warning AS marker_reference_warning, r.client_id, r.condition,
       r.measured_at, r.inspector, r.inspector_partner, r.reference_check, r.notes, r.photo_names, r.accuracy_m,
       r.marker_version, r.displacement_m, r.displacement_dx_m, r.displacement_dy_m, r.version, r.updated_at,
       r.updated_by, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat, ST_X(r.registered_geom) AS reg_lon,
       ST_Y(r.registered_geom) AS reg_lat, c.tolerance_m,
       coalesce((SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'sha256', p.sha256, 'size', p.size)
                                 ORDER BY p.id) FROM inspection_photos p WHERE p.record_id = r.id), '[]') AS photos
FROM inspection_records r JOIN boundary_markers m ON m.id = r.marker_id
JOIN inspection_campaigns c ON c.id = r.campaign_id
WHERE r.campaign_id = :c AND r.retired_at IS NULL {extra}
ORDER BY m.line_id, m.number, r.id"""


def photo_status(names: list[str] | None, photos: list[dict[str, Any]]) -> dict[str, Any]:
    """Which of the photos a record names have arrived (matched by file name, without folders).

    >>> photo_status(["DCIM/a.jpg", "b.jpg"], [{"id": 1, "name": "a.jpg", "sha256": "x", "size": 3}])["missing"]
    ['b.jpg']
    """
    arrived = {p["name"].rsplit("/", 1)[-1]: p for p in photos}
    expected = [n.rsplit("/", 1)[-1] for n in names or []]
    items = [{"name": n, "arrived": n in arrived, "photo_id": arrived[n]["id"] if n in arrived else None}
             for n in expected]
    extra = [{"name": n, "arrived": True, "photo_id": p["id"]} for n, p in arrived.items() if n not in expected]
    return {"expected": len(expected), "arrived": sum(i["arrived"] for i in items),
            "missing": [i["name"] for i in items if not i["arrived"]], "items": items + extra}


def public_record(row: Any) -> dict[str, Any]:
    r = dict(row)
    r["measured_at"] = r["measured_at"].astimezone(CHINA_TIME).isoformat() if r["measured_at"] else None
    r["updated_at"] = r["updated_at"].isoformat()
    r["condition_title"] = CONDITIONS.get(r["condition"]) if r["condition"] else "未记录"
    # a role-named account typed as 检查人 reads as its title on the page; people's names stay
    r["inspector_title"], r["inspector_partner_title"] = account_title(r["inspector"]), account_title(
        r["inspector_partner"])
    r["displacement_m"] = centimetres(r["displacement_m"])
    r["displacement_dx_m"], r["displacement_dy_m"] = centimetres(r["displacement_dx_m"]), centimetres(
        r["displacement_dy_m"])
    r["exceeds_tolerance"] = exceeds(r["displacement_m"], r.pop("tolerance_m"))
    reg_lon, reg_lat = r.pop("reg_lon"), r.pop("reg_lat")
    r["registered_position"] = grid_positions(reg_lon, reg_lat) if reg_lon is not None else None
    r["measured_position"] = grid_positions(r["lon"], r["lat"]) if r["lon"] is not None else None
    r["photos"] = photo_status(r["photo_names"], r["photos"])
    return r


def list_records(conn: Connection, campaign_id: int) -> list[dict[str, Any]]:
    return [public_record(r) for r in conn.execute(text(_RECORD_SQL.format(extra="")), {"c": campaign_id}).mappings()]


def get_record(conn: Connection, record_id: int) -> dict[str, Any]:
    campaign_id = conn.execute(text("SELECT campaign_id FROM inspection_records WHERE id = :id AND retired_at IS NULL"),
                               {"id": record_id}).scalar()
    if campaign_id is None:
        raise NotFound(f"没有编号为 {record_id} 的检查记录", f"record {record_id} not found")
    row = conn.execute(text(_RECORD_SQL.format(extra="AND r.id = :id")), {"c": campaign_id, "id": record_id})
    return public_record(row.mappings().one())


def nearest_markers(conn: Connection, lon: float, lat: float, campaign_id: int | None, limit: int) -> list[dict]:
    """The markers nearest to a position, by EPSG:4550 distance (exact, not degree order).

    The KNN candidate in degrees gives an upper bound d; every marker within d (as a degree window
    of d / 83,000 — 1° ≥ 83.9 km in Haicheng) is then measured in metres (ENVIRONMENT.md).
    """
    scope = ("AND m.line_id IN (SELECT line_id FROM inspection_campaign_lines WHERE campaign_id = :c)"
             if campaign_id is not None else "")
    sql = f"""
    WITH here AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), {STORAGE_SRID}) AS g),
    knn AS (SELECT m.geom FROM boundary_markers m, here WHERE m.retired_at IS NULL {scope}
            ORDER BY m.geom <-> here.g LIMIT :limit),
    bound AS (SELECT max(ST_Distance(ST_Transform(knn.geom, {METRIC_SRID}), ST_Transform(here.g, {METRIC_SRID}))) AS d
              FROM knn, here)
    SELECT m.id, m.line_id, l.name AS line_name, m.number, m.marker_type, m.reference_warning,
           ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat,
           ST_Distance(ST_Transform(m.geom, {METRIC_SRID}), ST_Transform(here.g, {METRIC_SRID})) AS distance_m
    FROM boundary_markers m JOIN boundary_lines l ON l.id = m.line_id, here, bound
    WHERE m.retired_at IS NULL {scope} AND ST_DWithin(m.geom, here.g, bound.d / 83000.0 + 1e-9)
    ORDER BY distance_m, m.id LIMIT :limit"""
    rows = conn.execute(text(sql), {"lon": lon, "lat": lat, "c": campaign_id, "limit": limit}).mappings()
    return [{**r, "distance_m": round(r["distance_m"], 2), "position": grid_positions(r["lon"], r["lat"])}
            for r in rows]
