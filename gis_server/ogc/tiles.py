"""OGC API – Tiles (vector tiles) over the service's tile code: the WebMercatorQuad tile matrix set and
``/ogc/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}``, which serves what ``/tiles/{layer}/{z}/{x}/{y}.pbf``
serves (same permissions, masks, row filter, audit, caching), only addressed as the standard names it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from formats.srids import WEB_MERCATOR_SRID
from gis_server.deps import Public
from gis_server.ogc.auth import OgcActor, OgcReadableLayer
from gis_server.ogc.core import FormatQuery, _link, answer, root_url
from gis_server.ogc.crs import EPSG_URI
from gis_server.routers import tiles
from layers.registry import LayerSpec

router = APIRouter(prefix="/ogc", tags=["OGC API – Tiles"])

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
WEB_MERCATOR = EPSG_URI.format(code=WEB_MERCATOR_SRID)
HALF_WORLD = 20037508.3427892  # metres: the Web Mercator square (EPSG:3857), OGC 17-083r4 Annex D.1
TILE_SIZE = 256
PIXEL = 0.00028  # metres: the standardized rendering pixel of OGC 17-083r4 §6.1.1


def tile_matrix_set() -> dict[str, Any]:
    matrices = []
    for z in range(tiles.MAX_ZOOM + 1):
        cell = 2 * HALF_WORLD / TILE_SIZE / (1 << z)
        matrices.append({"id": str(z), "scaleDenominator": cell / PIXEL, "cellSize": cell, "cornerOfOrigin": "topLeft",
                         "pointOfOrigin": [-HALF_WORLD, HALF_WORLD], "tileWidth": TILE_SIZE, "tileHeight": TILE_SIZE,
                         "matrixWidth": 1 << z, "matrixHeight": 1 << z})
    return {"id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI, "crs": WEB_MERCATOR,
            "orderedAxes": ["X", "Y"], "tileMatrices": matrices}


@router.get("/tileMatrixSets", summary="切片方案列表", response_class=Response, dependencies=[Public])
def tile_matrix_sets(request: Request, f: FormatQuery = None) -> Response:
    url = f"{root_url(request)}/tileMatrixSets/{TMS_ID}"
    return answer(request, {"title": "切片方案", "tileMatrixSets": [
        {"id": TMS_ID, "title": "Web 墨卡托（WebMercatorQuad）", "uri": TMS_URI,
         "links": [_link(url, "self", "application/json")]}],
        "links": [_link(url, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "application/json", TMS_ID)]}, f)


@router.get("/tileMatrixSets/WebMercatorQuad", summary="WebMercatorQuad 切片方案（TileMatrixSet）",
            dependencies=[Public], response_class=Response)
def web_mercator_quad(request: Request, f: FormatQuery = None) -> Response:
    return answer(request, {**tile_matrix_set(), "links": [
        _link(f"{root_url(request)}/tileMatrixSets/{TMS_ID}", "self", "application/json")]}, f)


def tileset(request: Request, spec: LayerSpec) -> dict[str, Any]:
    base = f"{root_url(request)}/collections/{spec.name}/tiles/{TMS_ID}"
    fields = {f.name: {"title": f.label, "type": f.type} for f in tiles.key_fields(spec)}
    dimension = {"Point": 0, "MultiLineString": 1, "MultiPolygon": 2}.get(spec.geometry_type)
    return {
        "title": f"{spec.title}（矢量切片）", "dataType": "vector", "crs": WEB_MERCATOR, "tileMatrixSetURI": TMS_URI,
        "layers": [{"id": spec.name, "title": spec.title, "dataType": "vector",
                    "geometryDimension": dimension, "maxTileMatrix": str(tiles.MAX_ZOOM),
                    "propertiesSchema": {"type": "object", "properties": fields}}],
        "links": [
            _link(base, "self", "application/json"),
            _link(f"{root_url(request)}/tileMatrixSets/{TMS_ID}", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                  "application/json"),
            {**_link(base + "/{tileMatrix}/{tileRow}/{tileCol}", "item", tiles.MVT, "MVT"), "templated": True},
        ]}


@router.get("/collections/{layer}/tiles", summary="图层的切片集", response_class=Response)
def tilesets(request: Request, spec: OgcReadableLayer, actor: OgcActor, f: FormatQuery = None) -> Response:
    return answer(request, {"title": spec.title, "tilesets": [tileset(request, spec)],
                            "links": [_link(f"{root_url(request)}/collections/{spec.name}/tiles", "self",
                                            "application/json")]}, f)


@router.get("/collections/{layer}/tiles/WebMercatorQuad", summary="图层的 WebMercatorQuad 切片集",
            response_class=Response)
def one_tileset(request: Request, spec: OgcReadableLayer, actor: OgcActor, f: FormatQuery = None) -> Response:
    return answer(request, tileset(request, spec), f)


@router.get("/collections/{layer}/tiles/WebMercatorQuad/{tile_matrix}/{tile_row}/{tile_col}",
            summary="矢量切片（MVT）", response_class=Response, responses={200: {"content": {tiles.MVT: {}}}})
async def tile(request: Request, spec: OgcReadableLayer, actor: OgcActor,
               tile_matrix: Annotated[int, Path(description="缩放级别（tileMatrix）")],
               tile_row: Annotated[int, Path(description="行号（自上而下）")],
               tile_col: Annotated[int, Path(description="列号")]) -> Response:
    return await tiles.get_tile(request, spec, actor, z=tile_matrix, x=tile_col, y=tile_row)
