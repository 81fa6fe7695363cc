"""The field package of a campaign: a GeoPackage for QField/QGIS, GPX waypoints, a printable marker table.

GeoPackage layers (EPSG:4490): ``markers`` (registered positions, with EPSG:4550 / 4529 values as
attributes), ``lines``, ``reference_objects`` (placed from bearing and distance, approximate),
``inspection_records`` (empty; condition constrained by a value domain) and the attribute table
``campaign`` (which campaign the package belongs to, checked when results come back).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import Connection, text

from formats.gpkg import add_enum_domain, write_layer
from formats.gpx import Waypoint, write_waypoints
from formats.srids import METRIC_SRID, STORAGE_CRS, SURVEY_ZONE_SRID
from layers.boundaries import LINE_LEVELS, MARKER_MATERIALS, MARKER_TYPES, SURVEY_METHODS
from layers.inspections.campaigns import get_campaign
from layers.inspections.displacement import defaults, grid_positions, offset_position
from layers.inspections.models import CONDITIONS

CRS = STORAGE_CRS
RECORD_COLUMNS = {  # the empty table the field device fills in: column → (dtype, label)
    "marker_id": ("int64", "界桩编号"), "condition": ("object", "界桩状况"),
    "measured_at": ("datetime64[ms]", "检查时间"),
    "inspector": ("object", "检查人（甲方）"), "inspector_partner": ("object", "检查人（乙方）"),
    "reference_check": ("object", "方位物核对"), "notes": ("object", "备注"), "photo_names": ("object", "照片文件名"),
    "accuracy_m": ("float64", "测量精度（米）"), "client_id": ("object", "记录标识"),
}


def marker_rows(conn: Connection, campaign_id: int) -> list[dict[str, Any]]:
    """Every marker of the campaign's lines with its registered position in the three systems."""
    rows = conn.execute(text(
        "SELECT m.id, m.line_id, l.name AS line_name, m.number, m.marker_type, m.material, m.survey_method, "
        "m.accuracy_m, m.managing_side, m.reference_objects, m.registered_date, m.position_doc, m.version, "
        "ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat FROM boundary_markers m "
        "JOIN inspection_campaign_lines cl ON cl.line_id = m.line_id AND cl.campaign_id = :c "
        "JOIN boundary_lines l ON l.id = m.line_id WHERE m.retired_at IS NULL ORDER BY m.line_id, m.number"),
        {"c": campaign_id}).mappings()
    out = []
    for r in rows:
        item = dict(r)
        item.update({k: v for k, v in grid_positions(r["lon"], r["lat"]).items() if k not in ("lon", "lat")})
        item["code"] = f"L{r['line_id']}-{r['number']}"
        item["reference_objects"] = r["reference_objects"] or []
        out.append(item)
    return out


def _references_text(objects: list[dict[str, Any]]) -> str:
    """The 方位物 of a marker in one cell, saying when there are fewer than the rule asks (usually 3)."""
    text_ = "；".join(f"{o.get('name')} {o.get('bearing_deg')}° {o.get('distance_m')} m" for o in objects)
    wanted = int(defaults()["min_reference_objects"]["value"])
    if len(objects) < wanted:
        text_ += f"{'；' if text_ else ''}（方位物不足 {wanted} 个，请外业补测）"
    return text_


def _markers_frame(markers: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    records = [{
        "marker_id": m["id"], "code": m["code"], "line_id": m["line_id"], "line_name": m["line_name"],
        "number": m["number"], "marker_type": MARKER_TYPES.get(m["marker_type"], m["marker_type"]),
        "material": MARKER_MATERIALS.get(m["material"] or "", m["material"]),
        "survey_method": SURVEY_METHODS.get(m["survey_method"] or "", m["survey_method"]),
        "accuracy_m": m["accuracy_m"], "managing_side": m["managing_side"],
        "lon": m["lon"], "lat": m["lat"], "e_4550": m["e_4550"], "n_4550": m["n_4550"], "y_4529": m["y_4529"],
        "x_4529": m["x_4529"], "reference_objects": _references_text(m["reference_objects"]),
        "registered_date": m["registered_date"].isoformat() if m["registered_date"] else None,
        "marker_version": m["version"]} for m in markers]
    return gpd.GeoDataFrame(records, geometry=[Point(m["lon"], m["lat"]) for m in markers], crs=CRS)


def _references_frame(markers: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    records, points = [], []
    for m in markers:
        for i, o in enumerate(m["reference_objects"], 1):
            try:
                lon, lat = offset_position(m["lon"], m["lat"], float(o["bearing_deg"]), float(o["distance_m"]))
            except (KeyError, TypeError, ValueError):
                continue
            records.append({"marker_id": m["id"], "code": m["code"], "seq": i, "name": o.get("name"),
                            "bearing_deg": float(o["bearing_deg"]), "distance_m": float(o["distance_m"]),
                            "note": "由方位角与距离推算的近似位置"})
            points.append(Point(lon, lat))
    frame = gpd.GeoDataFrame(records, geometry=points, crs=CRS)
    if not records:  # keep typed columns in an empty layer
        frame = gpd.GeoDataFrame({"marker_id": pd.Series(dtype="int64"), "name": pd.Series(dtype="object")},
                                 geometry=gpd.GeoSeries([], crs=CRS))
    return frame


def _lines_frame(conn: Connection, campaign_id: int) -> gpd.GeoDataFrame:
    rows = conn.execute(text(
        "SELECT l.id AS line_id, l.name, l.line_level, l.side_a, l.side_b, l.agreement_ref, l.approval_doc, "
        "l.length_m, l.last_inspection_date::text AS last_inspection_date, "
        "l.next_inspection_date::text AS next_inspection_date, ST_AsBinary(l.geom) AS wkb FROM boundary_lines l "
        "JOIN inspection_campaign_lines cl ON cl.line_id = l.id AND cl.campaign_id = :c ORDER BY l.id"),
        {"c": campaign_id}).mappings().all()
    records = [{k: v for k, v in r.items() if k != "wkb"} for r in rows]
    for r in records:
        r["line_level"] = LINE_LEVELS.get(r["line_level"], r["line_level"])
    return gpd.GeoDataFrame(records, geometry=[wkb.loads(bytes(r["wkb"])) for r in rows], crs=CRS)


def _empty_records() -> gpd.GeoDataFrame:
    columns = {name: pd.Series(dtype=dtype) for name, (dtype, _) in RECORD_COLUMNS.items()}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=CRS))


def write_package(conn: Connection, campaign_id: int, folder: Path) -> Path:
    """Write the campaign's GeoPackage into ``folder``; returns its path."""
    campaign = get_campaign(conn, campaign_id)
    markers = marker_rows(conn, campaign_id)
    path = folder / f"campaign_{campaign_id}.gpkg"
    write_layer(path, _markers_frame(markers), "markers", "界桩（登记位置）",
                "登记位置：CGCS2000 经纬度（几何），EPSG:4550 与带带号的 EPSG:4529 坐标见属性")
    write_layer(path, _lines_frame(conn, campaign_id), "lines", "界线", geometry_type="MultiLineString")
    write_layer(path, _references_frame(markers), "reference_objects", "方位物（近似位置）", geometry_type="Point")
    write_layer(path, _empty_records(), "inspection_records", "联检记录",
                "每个界桩一条：几何为实测位置；marker_id 填界桩编号；condition 从值域中选择", geometry_type="Point")
    meta = pd.DataFrame([{"campaign_id": campaign_id, "name": campaign["name"], "year": campaign["year"],
                          "round": campaign["round"], "tolerance_m": campaign["tolerance_m"],
                          "conditions": json.dumps(CONDITIONS, ensure_ascii=False)}])
    write_layer(path, meta, "campaign", "联检任务")
    add_enum_domain(path, "inspection_records", "condition", "inspection_condition", CONDITIONS, "界桩状况")
    return path


def package_bytes(conn: Connection, campaign_id: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="inspection-package-") as folder:
        return write_package(conn, campaign_id, Path(folder)).read_bytes()


def gpx_bytes(conn: Connection, campaign_id: int) -> bytes:
    """Waypoints named ``L<line>-<number>`` for handheld GNSS (WGS84 = CGCS2000 at handheld accuracy)."""
    points = [Waypoint(m["lon"], m["lat"], m["code"], f"{m['line_name']} {m['number']}",
                       "Flag", f"marker_id={m['id']}") for m in marker_rows(conn, campaign_id)]
    return write_waypoints(points)


MARKER_TABLE_HEADER = ["界线", "界桩号", "类型", "材质", "经度", "纬度", f"E（{METRIC_SRID}）", f"N（{METRIC_SRID}）",
                       f"Y（{SURVEY_ZONE_SRID} 带号）", "方位物", "状况", "备注", "甲方签字", "乙方签字"]


def marker_table(conn: Connection, campaign_id: int) -> tuple[list[str], list[list[Any]]]:
    """The printable marker table (界桩检查表): registered positions and blank columns for the field."""
    rows = [[m["line_name"], m["number"], MARKER_TYPES.get(m["marker_type"], m["marker_type"]),
             MARKER_MATERIALS.get(m["material"] or "", m["material"] or ""), f"{m['lon']:.8f}", f"{m['lat']:.8f}",
             f"{m['e_4550']:.2f}", f"{m['n_4550']:.2f}", f"{m['y_4529']:.2f}", _references_text(m["reference_objects"]),
             "", "", "", ""] for m in marker_rows(conn, campaign_id)]
    return MARKER_TABLE_HEADER, rows
