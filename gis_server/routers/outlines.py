"""The county's township and village outlines in one request per zoom, simplified for that zoom.

``GET /api/outlines/{layer}?z=…`` (``townships``, ``villages``): every live outline of the layer as a
GeoJSON FeatureCollection (like a features page: ``id``, the key properties of a tile, ``numberMatched``
and ``numberReturned``), each geometry simplified to half a screen pixel at zoom ``z`` (a 256-pixel
tile's side is 360°/2^z) and its coordinates rounded to match. The map draws the county view from it:
the villages' full geometries were 740 kB for the first map (issue 21), and a new request by viewport
after every move. The answer depends only on the layer's data version and the zoom: its ETag names
both, ``Cache-Control: private, no-cache`` makes the browser revalidate, and a matching
``If-None-Match`` is answered 304 after one round trip that reads the version (no stale outline).
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import text

from gis_server.deps import DbDep, ReadableLayer
from gis_server.routers.tiles import key_fields
from layers.errors import NotFound
from layers.features import q

router = APIRouter(prefix="/api/outlines", tags=["行政区划轮廓 outlines"])

OUTLINE_LAYERS = ("townships", "villages")  # the divisions: a few hundred outlines for the whole county
MAX_ZOOM = 18
GEOJSON = "application/geo+json"


def tolerance(z: int) -> float:
    """Half a screen pixel at zoom ``z``, in degrees."""
    return 360.0 / (256 << z) / 2


def digits(z: int) -> int:
    """Decimal places that keep a tenth of that pixel (at least 2, at most 7)."""
    return max(2, min(7, math.ceil(-math.log10(tolerance(z) / 5))))


@router.get("/{layer}", summary="全县乡镇或村的轮廓（按缩放级别简化，可缓存）", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}}, 304: {"description": "未变化"}})
def outlines(request: Request, spec: ReadableLayer, db: DbDep,
             z: Annotated[int, Query(ge=0, le=MAX_ZOOM, description="地图缩放级别（0–18）")]) -> Response:
    if spec.name not in OUTLINE_LAYERS:
        raise NotFound(f"没有可整体加载轮廓的图层“{spec.name}”（可用：{'、'.join(OUTLINE_LAYERS)}）",
                       f"no outline layer {spec.name}")
    columns = "".join(f", {q(f.name)}" for f in key_fields(spec))
    with db.read() as conn:
        version = conn.execute(text("SELECT version FROM layer_data_versions WHERE layer_table = :t"),
                               {"t": spec.table.name}).scalar_one_or_none()
        etag = None if version is None else f'"{spec.name}-{version}-z{z}"'
        headers = {"Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"}
        if etag:
            headers["ETag"] = etag
            if etag in request.headers.get("if-none-match", ""):
                return Response(status_code=304, headers=headers)
        body = conn.execute(text(f"""
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                     'type', 'Feature', 'id', r.id, 'properties', to_jsonb(r) - 'g',
                     'geometry', ST_AsGeoJSON(r.g, {digits(z)}, 0)::json) ORDER BY r.id), '[]'::json),
                   'numberMatched', count(*), 'numberReturned', count(*))::text
            FROM (SELECT t.id{columns}, ST_SimplifyPreserveTopology(t.geom, :tolerance) AS g
                  FROM {q(spec.table.name)} t WHERE t.retired_at IS NULL AND t.geom IS NOT NULL) r"""),
                            {"tolerance": tolerance(z)}).scalar_one()
    return Response(body.encode(), media_type=GEOJSON, headers=headers)
