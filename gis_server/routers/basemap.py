"""The built-in offline basemap as PNG tiles: ``GET /basemap/{z}/{x}/{y}.png`` (Web Mercator XYZ).

Drawn from the service's own layers (:mod:`layers.basemap`, :mod:`formats.tile_image`), the default basemap
when no 天地图 key or tile URL is configured (``web_map.settings``). Every signed-in user may read it: it
holds only layers that everyone reads and that carry no personal data. A tile is the same for everyone, so
it is kept in the server's tile cache, good for the sum of its tables' data versions (each only grows: a
write to any of them is a new version, and a stale tile is never served), and revalidated by the browser (ETag).
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import text

from formats.tile_image import draw_tile
from gis_server.deps import CurrentActor, DbDep
from gis_server.routers.tiles import _check_tile
from gis_server.tile_cache import Tile, TileKey, tile_bounds
from layers.basemap import EXTENT, LABEL_MARGIN, SOURCE_TABLES, tile_content

router = APIRouter(tags=["底图 basemap"])
PNG = "image/png"
_VERSIONS = "SELECT count(*), coalesce(sum(version), 0) FROM layer_data_versions WHERE layer_table = ANY(:tables)"


@router.get("/basemap/{z}/{x}/{y}.png", summary="内置离线底图（PNG 栅格切片，Web 墨卡托 z/x/y）",
            response_class=Response, responses={200: {"content": {PNG: {}}}})
def get_basemap_tile(
    request: Request, db: DbDep, actor: CurrentActor,
    z: Annotated[int, Path(description="缩放级别")], x: Annotated[int, Path(description="列号")],
    y: Annotated[int, Path(description="行号（XYZ，自上而下）")],
) -> Response:
    _check_tile(z, x, y)
    cache = request.app.state.tiles
    with db.autocommit() as conn:
        known, version = conn.execute(text(_VERSIONS), {"tables": list(SOURCE_TABLES)}).one()
        # the sum of the versions stands for all six; no write extents are learnt for it, so any write
        # renders the tile again (safe, if not as thrifty as the thematic tiles)
        key, version = TileKey("basemap", "all", z, x, y), int(version)
        cacheable = cache.enabled and known == len(SOURCE_TABLES)  # a table without a version: never cached
        tile = cache.get(key, version, tile_bounds(z, x, y, LABEL_MARGIN / EXTENT)) if cacheable else None
        if tile is None:
            body = draw_tile(*tile_content(conn, z, x, y))
            tile = Tile(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
            if cacheable:
                cache.put(key, tile, version)
    headers = {"ETag": tile.etag, "Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"}
    if tile.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(tile.body, media_type=PNG, headers=headers)
