"""OGC API – Features Part 4 (create, replace, update, delete) through the feature store.

The same checks as ``/api/layers`` (permissions, the layer's schema, references, write hooks, the
duplicate guard, history and audit by the database triggers). Locking:

- ``If-Match`` with the ETag (the version), as the service's API asks for;
- without it (QGIS 3.32+ sends none), the ``version`` property the client read and sends back with
  the feature. A stale one gets 412 and nothing changes; neither given: 428.
- ``DELETE`` without ``If-Match`` (QGIS sends no body) retires the current version: a retirement is
  kept in history and can be restored (``POST /api/layers/{layer}/features/{id}/restore``).

Clients send back what they read: bookkeeping columns (``id``, ``version``, ``updated_at``…) are
ignored, and a personal field still holding its masked value (``张*``) is left as stored — it was not
edited, and writing the mask over the name would destroy it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request, Response
from sqlalchemy import Connection

from gis_server.bodies import FeatureBody, FeaturePatch
from gis_server.deps import DbDep, Public, SettingsDep
from gis_server.ogc.auth import OgcActor, OgcWritableLayer
from gis_server.ogc.core import GEOJSON, root_url
from gis_server.ogc.crs import CRS84, Crs, header, parse_crs
from gis_server.routers.features import (
    _feature_body,
    _write_transaction,
    expected_version,
    prepare,
)
from layers.errors import InvalidInput, PreconditionRequired
from layers.features import (
    create_feature,
    current_version,
    get_feature,
    require_version,
    retire_feature,
    update_feature,
)
from layers.geometry import validate_geometry
from layers.masks import output_masks
from layers.privacy import masked_expressions, require_visible
from layers.registry import LayerSpec
from layers.roles import Actor
from layers.schemas import validate_properties

router = APIRouter(prefix="/ogc/collections/{layer}/items", tags=["OGC API – Features"])

ContentCrs = Annotated[str | None, Header(alias="Content-Crs", description="请求体几何的坐标系 URI（默认 CRS84）")]
IfMatch = Annotated[str | None, Header(description="要素版本（ETag）；不给时用属性 version")]
ITEMS_ALLOW = "GET, POST, OPTIONS"
# PATCH is served (with If-Match or the version property) but not announced: QGIS 3.32+ sends a PATCH with
# only the changed values — no version — when the server announces it, and a PUT of the whole feature as
# read (version included) when not: announcing it would leave QGIS's edits without their lock (428)
ITEM_ALLOW = "GET, PUT, DELETE, OPTIONS"


def _flip(coordinates: Any) -> Any:
    if isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], int | float):
        return [coordinates[1], coordinates[0], *coordinates[2:]]
    return [_flip(c) for c in coordinates] if isinstance(coordinates, list) else coordinates


def _geometry(geometry: Any, crs: Crs, spec: LayerSpec, margin: float) -> Any:
    """The body's geometry checked and in storage (as the service's API checks it)."""
    if crs.flipped and isinstance(geometry, dict) and "coordinates" in geometry:
        geometry = {**geometry, "coordinates": _flip(geometry["coordinates"])}
    return validate_geometry(geometry, spec.geometry_type, f"EPSG:{crs.srid}", margin)


def _crs(content_crs: str | None, body_crs: str | None) -> Crs:
    return parse_crs(content_crs or body_crs, "Content-Crs")


def client_properties(spec: LayerSpec, properties: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    """What the client sets: bookkeeping and derived fields dropped, unedited masked values dropped."""
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise InvalidInput("properties 应为对象", "properties must be an object", field="properties")
    read_only = {f.name for f in spec.fields if f.system or f.derived}
    out = {k: v for k, v in properties.items() if k not in read_only}
    if current is not None:
        for name in output_masks(spec):
            if name in out and out[name] == current.get(name):
                del out[name]
    return out


def _version(if_match: str | None, properties: Any) -> int:
    if if_match:
        return expected_version(if_match)
    version = properties.get("version") if isinstance(properties, dict) else None
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    raise PreconditionRequired("缺少版本：请带 If-Match 请求头，或在属性中带回读取时的 version",
                               "If-Match or the version property is required")


def _response(request: Request, spec: LayerSpec, conn: Connection, actor: Actor, feature_id: int,
              status: int) -> Response:
    body, version = get_feature(conn, spec, feature_id, masked_expressions(spec, actor))
    headers = {"ETag": f'"{version}"', "Content-Crs": header(parse_crs(CRS84, "crs"))}
    if status == 201:
        headers["Location"] = f"{root_url(request)}/collections/{spec.name}/items/{feature_id}"
    return Response(body, status_code=status, media_type=GEOJSON, headers=headers)


@router.options("", include_in_schema=False, dependencies=[Public])
def items_options() -> Response:
    return Response(status_code=204, headers={"Allow": ITEMS_ALLOW})


@router.options("/{feature_id}", include_in_schema=False, dependencies=[Public])
def item_options() -> Response:
    return Response(status_code=204, headers={"Allow": ITEM_ALLOW})


@router.post("", status_code=201, summary="新建要素（Part 4）", response_class=Response)
def create(request: Request, spec: OgcWritableLayer, db: DbDep, actor: OgcActor, settings: SettingsDep,
           body: Annotated[FeatureBody, Body(description="GeoJSON Feature")], content_crs: ContentCrs = None
           ) -> Response:
    geometry, properties, body_crs = _feature_body(body.given(), partial=False)
    geom = _geometry(geometry, _crs(content_crs, body_crs), spec, settings.extent_margin_deg)
    props = validate_properties(spec, client_properties(spec, properties, None), partial=False)
    with _write_transaction(db, spec, actor) as conn:
        props = prepare(request, spec, props, conn, actor, None, settings, geom, partial=False)
        feature_id, _ = create_feature(conn, spec, props, geom, actor, "OGC API")
        return _response(request, spec, conn, actor, feature_id, 201)


def _update(request: Request, spec: LayerSpec, feature_id: int, db: Any, actor: Actor, settings: Any,
            body: FeaturePatch, if_match: str | None, content_crs: str | None, *, replace: bool) -> Response:
    geometry, properties, body_crs = _feature_body(body.given(), partial=not replace)
    version = _version(if_match, properties)
    geom = None
    if replace or geometry is not None:
        geom = _geometry(geometry, _crs(content_crs, body_crs), spec, settings.extent_margin_deg)
    with _write_transaction(db, spec, actor) as conn:
        require_visible(conn, spec, actor, feature_id)
        require_version(conn, spec, feature_id, version)
        current = json.loads(get_feature(conn, spec, feature_id, output_masks(spec))[0])["properties"]
        given = client_properties(spec, properties, current)
        if replace:  # a replacement empties the optional fields it does not give (personal ones are kept)
            masked = output_masks(spec)
            given = {**{f.name: None for f in spec.editable_fields if not f.required and f.name not in masked},
                     **given}
        props = validate_properties(spec, given, partial=True)
        props = prepare(request, spec, props, conn, actor, feature_id, settings, geom, partial=True)
        update_feature(conn, spec, feature_id, version, props, geom, actor, "OGC API")
        return _response(request, spec, conn, actor, feature_id, 200)


@router.put("/{feature_id}", summary="替换要素（Part 4；If-Match 或属性 version）", response_class=Response)
def replace(request: Request, spec: OgcWritableLayer, feature_id: int, db: DbDep, actor: OgcActor,
            settings: SettingsDep, body: Annotated[FeatureBody, Body()], if_match: IfMatch = None,
            content_crs: ContentCrs = None) -> Response:
    return _update(request, spec, feature_id, db, actor, settings, body, if_match, content_crs, replace=True)


@router.patch("/{feature_id}", summary="修改要素（Part 4；If-Match 或属性 version）", response_class=Response)
def update(request: Request, spec: OgcWritableLayer, feature_id: int, db: DbDep, actor: OgcActor,
           settings: SettingsDep, body: Annotated[FeaturePatch, Body()], if_match: IfMatch = None,
           content_crs: ContentCrs = None) -> Response:
    return _update(request, spec, feature_id, db, actor, settings, body, if_match, content_crs, replace=False)


@router.delete("/{feature_id}", status_code=204, summary="注销要素（Part 4；可恢复）", response_class=Response)
def delete(spec: OgcWritableLayer, feature_id: int, db: DbDep, actor: OgcActor,
           if_match: IfMatch = None) -> Response:
    with db.transaction() as conn:
        require_visible(conn, spec, actor, feature_id)
        state = current_version(conn, spec, feature_id)
        version = expected_version(if_match) if if_match else (state[0] if state else 0)
        new_version = retire_feature(conn, spec, feature_id, version, actor, "OGC API")
    return Response(status_code=204, headers={"ETag": f'"{new_version}"'})
