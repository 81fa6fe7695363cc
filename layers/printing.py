"""Printing the map (打印地图): the visible layers of a view, read as the feature list reads them —
only layers the role may read, only rows it may see, personal fields masked, and a read of a
personal layer recorded in the audit log (action ``print``) in the same statement — drawn on an A4/A3
sheet (``formats.mapsheet``) in EPSG:4550 metres, with the page's own overlays (``layers.print_overlays``)
above them, each a legend entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from shapely.geometry import shape
from sqlalchemy import Connection

from formats.mapimage import MapLayer
from formats.mapsheet import Sheet, render_sheet
from formats.srids import METRIC_CRS, METRIC_SRID, STORAGE_CRS
from layers.audit import read_record
from layers.catalog import registry
from layers.errors import Forbidden, InvalidInput
from layers.features import ListQuery, list_features
from layers.geometry import transformer
from layers.print_overlays import Overlay, parse_overlays
from layers.privacy import visible_rows_sql
from layers.roles import Actor

BEIJING = timezone(timedelta(hours=8))  # 北京时间, UTC+8 all year
MAPPING_UNIT = "海城市民政局"  # 制图单位: the bureau the service belongs to
MAX_FEATURES = 5000  # per layer; beyond it the sheet says how many were left out
MAX_LAYERS = 20
METRIC = f"ST_AsGeoJSON(ST_Transform({{g}}, {METRIC_SRID}), 2, 0)"  # to the centimetre


@dataclass(frozen=True)
class PrintRequest:
    bbox: tuple[float, float, float, float]  # lon/lat, EPSG:4490
    layers: tuple[str, ...]
    sheet: Sheet
    title: str
    fmt: str
    overlays: tuple[Overlay, ...] = ()


def _choice(body: dict[str, Any], name: str, label: str, options: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value not in options:
        raise InvalidInput(f"{label}（{name}）应为 {'、'.join(options)} 之一", f"{name} must be one of {options}",
                           field=name)
    return value


def parse_request(body: Any) -> PrintRequest:
    """The print request of a JSON body, refused in Chinese, naming the field, when it is not right."""
    if not isinstance(body, dict):
        raise InvalidInput("请求体应为 JSON 对象", "body must be a JSON object")
    bbox = body.get("bbox")
    if (not isinstance(bbox, list) or len(bbox) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
            or not (-180 <= bbox[0] < bbox[2] <= 180 and -90 <= bbox[1] < bbox[3] <= 90)):
        raise InvalidInput("打印范围（bbox）应为 [最小经度, 最小纬度, 最大经度, 最大纬度]，且最小值小于最大值",
                           "bbox must be [minlon, minlat, maxlon, maxlat]", field="bbox")
    layers = body.get("layers", [])
    if not isinstance(layers, list) or not all(isinstance(n, str) for n in layers) or len(layers) > MAX_LAYERS:
        raise InvalidInput(f"图层（layers）应为图层名列表，最多 {MAX_LAYERS} 个", "layers must be a list of names",
                           field="layers")
    unknown = [n for n in layers if n not in registry()]
    if unknown:
        raise InvalidInput(f"没有这些图层：{'、'.join(unknown)}", f"unknown layers {unknown}", field="layers")
    title = body.get("title") or "海城市民政一张图"
    if not isinstance(title, str) or len(title) > 60:
        raise InvalidInput("图名（title）应为不超过 60 字的文字", "title must be text of at most 60 characters",
                           field="title")
    sheet = Sheet(_choice(body, "size", "纸张", ("A4", "A3"), "A4"),  # type: ignore[arg-type]
                  _choice(body, "orientation", "方向", ("landscape", "portrait"), "landscape"))  # type: ignore[arg-type]
    fmt = _choice(body, "format", "格式", ("pdf", "png"), "pdf")
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return PrintRequest((x0, y0, x1, y1), tuple(dict.fromkeys(layers)), sheet, title.strip(), fmt,
                        parse_overlays(body.get("overlays")))


def metric_extent(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The EPSG:4550 rectangle around a lon/lat box (its four corners and edge midpoints)."""
    to = transformer(STORAGE_CRS, METRIC_CRS)
    x0, y0, x1, y1 = bbox
    points = [to.transform(x, y) for x in (x0, (x0 + x1) / 2, x1) for y in (y0, (y0 + y1) / 2, y1)]
    return (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points), max(p[1] for p in points))


def _layer(conn: Connection, name: str, actor: Actor, bbox: tuple[float, float, float, float]
           ) -> tuple[MapLayer, str | None]:
    spec = registry().get(name)
    assert spec is not None  # checked by parse_request
    if not spec.can_read(actor.roles):
        raise Forbidden(f"您无权查看图层“{spec.title}”，不能打印", f"no read permission on {name}")
    query = ListQuery(bbox=bbox, limit=MAX_FEATURES, row_filter=visible_rows_sql(spec, actor))
    audit = read_record(spec, actor, "print", bbox=",".join(f"{v:.6f}" for v in bbox))
    collection = json.loads(list_features(conn, spec, query, also=audit, geometry=METRIC))
    geoms = [shape(f["geometry"]) for f in collection["features"] if f.get("geometry")]
    style = spec.style or {}
    layer = MapLayer(spec.title, geoms, color=style.get("color", "#333333"), width=float(style.get("weight", 1.2)),
                     style="--" if style.get("dashArray") else "-", alpha=float(style.get("fillOpacity", 0.25)),
                     size=14 if spec.large else 24, zorder=3 if spec.geometry_type == "Point" else 2)
    left = collection["numberMatched"] - collection["numberReturned"]
    return layer, (f"“{spec.title}”范围内 {collection['numberMatched']} 个要素，只绘制了前 {MAX_FEATURES} 个"
                   if left > 0 else None)


def print_map(conn: Connection, request: PrintRequest, actor: Actor, now: datetime | None = None
              ) -> tuple[bytes, dict[str, Any]]:
    """The sheet's bytes and what it shows (scale, scale bar, layers drawn)."""
    drawn = [_layer(conn, name, actor, request.bbox) for name in request.layers]
    layers = [layer for layer, _ in drawn]
    notes = [note for _, note in drawn if note]
    notes.append("坐标系：CGCS2000 高斯-克吕格 3° 带（中央子午线 123°E，EPSG:4550）")
    today = (now or datetime.now(UTC)).astimezone(BEIJING).date()
    overlays = [overlay.map_layer() for overlay in request.overlays]  # above the layers, as on the page
    content, plan = render_sheet(request.sheet, layers + overlays, metric_extent(request.bbox), title=request.title,
                                 unit=MAPPING_UNIT, date_text=f"{today.year} 年 {today.month} 月 {today.day} 日",
                                 fmt=request.fmt, notes=notes)  # type: ignore[arg-type]
    return content, {"scale": round(plan.scale), "scale_bar_m": plan.bar_m, "date": today.isoformat(),
                     "layers": [{"name": n, "title": layer.label, "count": len(layer.geoms)}
                                for n, layer in zip(request.layers, layers, strict=True)],
                     "overlays": [{"title": o.title, "count": len(o.geoms)} for o in request.overlays]}
