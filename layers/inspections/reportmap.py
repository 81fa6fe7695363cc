"""The map of a campaign for its report: the lines, the markers coloured by condition and the
displacement arrows, drawn by ``formats.mapimage`` in EPSG:4550 metres.

Displacements are centimetres to a metre or two while a line is kilometres long, so the arrows are
drawn magnified by one factor for the whole map (a 1/2/5 × 10ⁿ chosen so the largest arrow is about
a twentieth of the map's width); the factor is in the legend and each arrow is labelled with its
true length.

>>> magnification([0.02, 1.2], 2000.0)
50
>>> magnification([], 2000.0), magnification([0.0], 2000.0)
(1, 1)
"""

from __future__ import annotations

from typing import Any

from shapely import wkb
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, text

from formats.mapimage import MapLayer, nice_length, render_png
from formats.srids import METRIC_SRID
from layers.inspections.models import CONDITION_COLOURS, CONDITIONS

ARROW_SHARE = 0.05  # the largest arrow is drawn about this share of the map's width
CRS_NOTE = "坐标系：CGCS2000 高斯-克吕格 3° 带（中央子午线 123°E，EPSG:4550）；位移箭头由登记位置指向实测位置。"


def magnification(displacements: list[float], width_m: float) -> int:
    """The factor arrows are drawn at: a 1/2/5 × 10ⁿ not above ``width × ARROW_SHARE / largest``."""
    largest = max((d for d in displacements if d), default=0.0)
    return nice_length(width_m * ARROW_SHARE / largest) if largest else 1


def _lines(conn: Connection, campaign_id: int) -> list[LineString]:
    rows = conn.execute(text(
        f"SELECT ST_AsBinary(ST_Transform(l.geom, {METRIC_SRID})) FROM boundary_lines l "
        "JOIN inspection_campaign_lines cl ON cl.line_id = l.id AND cl.campaign_id = :c ORDER BY l.id"),
        {"c": campaign_id}).scalars()
    return [wkb.loads(bytes(g)) for g in rows]


def campaign_map(conn: Connection, campaign_id: int, markers: list[dict[str, Any]],
                 records: list[dict[str, Any]]) -> bytes | None:
    """The PNG of the campaign's map, or None when it has no line and no marker to draw."""
    lines = _lines(conn, campaign_id)
    by_marker = {r["marker_id"]: r for r in records}
    points: dict[str, list[tuple[Point, str]]] = {}
    for m in markers:
        condition = (by_marker.get(m["id"]) or {}).get("condition") or "not_inspected"
        points.setdefault(condition, []).append((Point(m["e_4550"], m["n_4550"]), m["number"]))
    shapes = [*lines, *(p for group in points.values() for p, _ in group)]
    if not shapes:
        return None
    xs = [c for s in shapes for c in (s.bounds[0], s.bounds[2])]
    ys = [c for s in shapes for c in (s.bounds[1], s.bounds[3])]
    pad = max(max(xs) - min(xs), max(ys) - min(ys), 200.0) * 0.08
    extent = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    moved = [r for r in records if r["displacement_m"] and r["registered_position"]]
    factor = magnification([r["displacement_m"] for r in moved], extent[2] - extent[0])
    layers = [MapLayer("检查的界线", lines, color="#444444", width=1.6)]
    titles = {**CONDITIONS, "not_inspected": "未检"}
    for code in [*CONDITIONS, "not_inspected"]:
        if code in points:
            layers.append(MapLayer(f"界桩：{titles[code]}", [p for p, _ in points[code]],
                                   color=CONDITION_COLOURS[code], size=36, zorder=4,
                                   labels=[n for _, n in points[code]]))
    arrows, notes = [], []
    for r in moved:
        e0, n0 = r["registered_position"]["e_4550"], r["registered_position"]["n_4550"]
        e1, n1 = e0 + r["displacement_dx_m"] * factor, n0 + r["displacement_dy_m"] * factor
        arrows.append(LineString([(e0, n0), (e1, n1)]))
        notes.append((e1, n1, f"{r['displacement_m']:.2f} 米"))
    if arrows:
        layers.append(MapLayer(f"位移（箭头放大 {factor} 倍）", arrows, color="#d62728", width=2.0, zorder=5))
    return render_png(layers, extent, crs_note=CRS_NOTE, annotations=notes)
