"""The generic feature API: every layer of the registry, one set of routes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from formats.media_types import GEOJSON
from gis_server.accounts import duplicate_hits
from gis_server.bodies import FeatureBody, FeaturePatch, RestoreBody
from gis_server.deps import CurrentActor, DbDep, LayerDep, ReadableLayer, SettingsDep, WritableLayer
from gis_server.settings import Settings
from layers.audit import audit_personal_read, read_record, reading
from layers.catalog import registry
from layers.errors import Forbidden, InvalidInput, PreconditionRequired, Throttled
from layers.features import (
    ListQuery,
    WriteContext,
    count_features,
    create_feature,
    feature_history,
    get_feature,
    list_features,
    require_version,
    restore_version,
    retire_feature,
    update_feature,
)
from layers.geometry import validate_geometry
from layers.labels import code_labels
from layers.privacy import mask_properties, masked_expressions, may_reveal, require_visible, visible_rows_sql
from layers.registry import LayerSpec
from layers.roles import Actor
from layers.schemas import validate_properties
from layers.write_checks import Duplicate, run_write_checks

router = APIRouter(prefix="/api/layers", tags=["图层与要素 layers"])

RESERVED_PARAMS = {"bbox", "limit", "offset", "sort", "crs", "reason", "format", "reveal"}
ReasonQuery = Annotated[str | None, Query(description="修改原因（写入历史）", max_length=500)]
CrsQuery = Annotated[str | None,
                     Query(description="输入几何的坐标系：EPSG:4490、EPSG:4326、EPSG:4550、EPSG:4529 或 gcj02")]
IfMatch = Annotated[str | None, Header(description="要素当前版本（ETag），防止覆盖他人修改")]


def _etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version named by an ``If-Match`` header (``"3"``, ``W/"3"`` or ``3``)."""
    if not if_match:
        raise PreconditionRequired("缺少 If-Match 请求头：请带上您编辑的要素版本（ETag）",
                                   "If-Match header with the feature's ETag is required")
    match = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', if_match)
    if not match:
        raise PreconditionRequired(f"If-Match 请求头“{if_match}”不是有效的版本号",
                                   f"If-Match {if_match!r} is not a version")
    return int(match.group(1))


def _parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    try:
        values = tuple(float(v) for v in bbox.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not all(map(math.isfinite, values)) or values[0] > values[2] or values[1] > values[3]:
        raise InvalidInput("bbox 应为 最小经度,最小纬度,最大经度,最大纬度", "bbox must be minx,miny,maxx,maxy",
                           field="bbox")
    return values


def list_query(request: Request, spec: LayerSpec, actor: Actor, bbox: str | None, limit: int | None, offset: int,
               sort: str | None) -> ListQuery:
    """The list query of a request: paging, bbox, attribute filters and the privacy row filter."""
    filters = {k: v for k, v in request.query_params.items() if k not in RESERVED_PARAMS}
    return ListQuery(bbox=_parse_bbox(bbox), limit=limit, offset=offset, sort=sort, filters=filters,
                     row_filter=visible_rows_sql(spec, actor))


def _feature_body(body: Any, *, partial: bool) -> tuple[Any, Any, str | None]:
    """(geometry, properties, crs) of a GeoJSON Feature body."""
    if not isinstance(body, dict):
        raise InvalidInput("请求体应为 GeoJSON Feature 对象", "body must be a GeoJSON Feature object")
    if not partial and body.get("type") != "Feature":
        raise InvalidInput("请求体应为 GeoJSON Feature（type 为 Feature）", "body must have type Feature")
    crs = body.get("crs")
    if isinstance(crs, dict):  # the GeoJSON 2008 form {"type": "name", "properties": {"name": "EPSG:4550"}}
        named = crs.get("properties")
        crs = named.get("name") if isinstance(named, dict) else named
    if crs is not None and not isinstance(crs, str):
        raise InvalidInput("crs 应为坐标系名称，如 EPSG:4550", "crs must be a CRS name such as EPSG:4550", field="crs")
    return body.get("geometry"), body.get("properties"), crs


def _feature_response(text_body: str, version: int, status: int = 200, location: str | None = None) -> Response:
    headers = {"ETag": _etag(version)}
    if location:
        headers["Location"] = location
    return Response(text_body, status_code=status, media_type=GEOJSON, headers=headers)


@router.get("", summary="全部图层")
def list_layers(db: DbDep, actor: CurrentActor) -> list[dict[str, Any]]:
    out = []
    with db.read() as conn:
        for spec in registry():
            readable = spec.can_read(actor.roles)
            out.append({
                "name": spec.name, "title": spec.title, "theme": spec.theme,
                "geometry_type": spec.geometry_type,
                "count": count_features(conn, spec, visible_rows_sql(spec, actor)) if readable else None,
                "permissions": {"read": readable, "write": spec.can_write(actor.roles)},
                "large": spec.large, "personal_fields": list(spec.personal_fields),
                "natural_key": list(spec.natural_key),
            })
    return out


@router.get("/{layer}", summary="图层说明（字段、中文标签、取值；代码字段附名称 labels）")
def describe_layer(spec: LayerDep, actor: CurrentActor, db: DbDep) -> dict[str, Any]:
    labels: dict[str, dict[str, str]] = {}
    if spec.can_read(actor.roles):  # codes are shown beside their names (issue 16: no bare codes)
        with db.read() as conn:
            labels = code_labels(conn, spec)
    return {
        "name": spec.name, "title": spec.title, "theme": spec.theme, "geometry_type": spec.geometry_type,
        "title_field": spec.title_field, "style": spec.style, "natural_key": list(spec.natural_key),
        "permissions": {"read": spec.can_read(actor.roles), "write": spec.can_write(actor.roles)},
        "fields": [{**vars(f), "labels": labels.get(f.name)} for f in spec.fields],
    }


@router.get("/{layer}/features", summary="要素列表（分页、范围、筛选）", response_class=Response)
def get_features(
    request: Request, spec: ReadableLayer, db: DbDep, actor: CurrentActor, settings: SettingsDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy（经纬度）")] = None,
    limit: Annotated[int | None, Query(ge=1, description="每页条数（有上限）")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: Annotated[str | None, Query(description="排序字段，前加 - 为降序，逗号分隔")] = None,
) -> Response:
    query = list_query(request, spec, actor, bbox, min(limit or settings.page_limit_default, settings.page_limit_max),
                       offset, sort)
    audit_record = read_record(spec, actor, "read_personal", bbox=bbox, offset=offset, sort=sort,
                               filters=query.filters or None)
    with db.autocommit() as conn:  # one statement: the page and, for personal data, the record of this read
        body = list_features(conn, spec, query, also=audit_record)
    return Response(body, media_type=GEOJSON)


@router.get("/{layer}/features/{feature_id}", summary="单个要素（ETag 为版本号）", response_class=Response)
def get_one(
    request: Request, spec: ReadableLayer, feature_id: int, db: DbDep, actor: CurrentActor,
    reveal: Annotated[bool, Query(description="显示完整个人信息（仅授权角色，逐条记入审计日志）")] = False,
) -> Response:
    if reveal and not may_reveal(spec, actor):
        raise Forbidden(f"您无权查看“{spec.title}”的完整个人信息", f"no reveal permission on {spec.name}")
    with reading(db, spec) as conn:
        require_visible(conn, spec, actor, feature_id)
        body, version = get_feature(conn, spec, feature_id, masked_expressions(spec, actor, reveal=reveal))
        if reveal and spec.reveal_hook is not None:
            body = spec.reveal_hook(conn, feature_id, body, request.app.state.cipher)
        audit_personal_read(conn, spec, actor, "reveal" if reveal else "read_personal", feature_id=feature_id)
    return _feature_response(body, version)


@router.post("/{layer}/features", status_code=201, summary="新建要素（GeoJSON Feature）",
             response_class=Response)
def post_feature(
    request: Request, spec: WritableLayer, db: DbDep, actor: CurrentActor, settings: SettingsDep,
    body: Annotated[FeatureBody, Body(description="GeoJSON Feature")], crs: CrsQuery = None,
    reason: ReasonQuery = None,
) -> Response:
    geometry, properties, body_crs = _feature_body(body.given(), partial=False)
    geom = validate_geometry(geometry, spec.geometry_type, crs or body_crs, settings.extent_margin_deg)
    props = validate_properties(spec, properties, partial=False)
    with _write_transaction(db, spec, actor) as conn:
        props = prepare(request, spec, props, conn, actor, None, settings, geom, partial=False)
        feature_id, _ = create_feature(conn, spec, props, geom, actor, reason)
        text_body, version = get_feature(conn, spec, feature_id, masked_expressions(spec, actor))
    return _feature_response(text_body, version, 201, f"/api/layers/{spec.name}/features/{feature_id}")


def prepare(request: Request, spec: LayerSpec, props: dict[str, Any], conn: Connection, actor: Actor,
            feature_id: int | None, settings: Settings, geom: BaseGeometry | None, *, partial: bool) -> dict[str, Any]:
    """Run the write's checks and the layer's hook (e.g. encrypting an ID number) inside its transaction;
    every uniqueness check first asks :func:`duplicate_hits.guard`.
    """
    limit = duplicate_hits.DuplicateLimit(settings.duplicate_hits_max, settings.duplicate_hits_window_seconds)
    ctx = WriteContext(conn, request.app.state.cipher, feature_id, actor, geom=geom,
                       guard=lambda: duplicate_hits.guard(conn, actor, limit))
    return run_write_checks(spec, props, ctx, partial)


@contextmanager
def _write_transaction(db: Any, spec: LayerSpec, actor: Actor) -> Iterator[Connection]:
    """A write's transaction. A uniqueness hit, or a write refused for too many, rolls it back and is
    then audited in a transaction of its own, so that it stays counted.
    """
    try:
        with db.transaction() as conn:
            yield conn
    except (Duplicate, Throttled) as exc:
        with db.transaction() as conn:
            duplicate_hits.record(conn, actor, spec, exc if isinstance(exc, Throttled) else None,
                                  field=exc.details.get("field"))
        raise


def _write(request: Request, spec: LayerSpec, feature_id: int, db: Any, actor: Actor, settings: Any, body: FeaturePatch,
           if_match: str | None, crs: str | None, reason: str | None, *, replace: bool) -> Response:
    version = expected_version(if_match)
    geometry, properties, body_crs = _feature_body(body.given(), partial=not replace)
    geom = None
    if replace or geometry is not None:
        geom = validate_geometry(geometry, spec.geometry_type, crs or body_crs, settings.extent_margin_deg)
    props = validate_properties(spec, properties, partial=not replace)
    with _write_transaction(db, spec, actor) as conn:
        require_visible(conn, spec, actor, feature_id)
        require_version(conn, spec, feature_id, version)
        props = prepare(request, spec, props, conn, actor, feature_id, settings, geom, partial=not replace)
        update_feature(conn, spec, feature_id, version, props, geom, actor, reason, replace=replace)
        text_body, new_version = get_feature(conn, spec, feature_id, masked_expressions(spec, actor))
    return _feature_response(text_body, new_version)


@router.put("/{layer}/features/{feature_id}", summary="整体替换要素（需 If-Match）", response_class=Response)
def put_feature(
    request: Request, spec: WritableLayer, feature_id: int, db: DbDep, actor: CurrentActor, settings: SettingsDep,
    body: Annotated[FeatureBody, Body()], if_match: IfMatch = None, crs: CrsQuery = None, reason: ReasonQuery = None,
) -> Response:
    return _write(request, spec, feature_id, db, actor, settings, body, if_match, crs, reason, replace=True)


@router.patch("/{layer}/features/{feature_id}", summary="部分修改要素（需 If-Match）", response_class=Response)
def patch_feature(
    request: Request, spec: WritableLayer, feature_id: int, db: DbDep, actor: CurrentActor, settings: SettingsDep,
    body: Annotated[FeaturePatch, Body()], if_match: IfMatch = None, crs: CrsQuery = None,
    reason: ReasonQuery = None,
) -> Response:
    return _write(request, spec, feature_id, db, actor, settings, body, if_match, crs, reason, replace=False)


@router.delete("/{layer}/features/{feature_id}", status_code=204, summary="注销要素（需 If-Match，可恢复）",
               response_class=Response)
def delete_feature(
    spec: WritableLayer, feature_id: int, db: DbDep, actor: CurrentActor,
    if_match: IfMatch = None, reason: ReasonQuery = None,
) -> Response:
    version = expected_version(if_match)
    with db.transaction() as conn:
        require_visible(conn, spec, actor, feature_id)
        new_version = retire_feature(conn, spec, feature_id, version, actor, reason)
    return Response(status_code=204, headers={"ETag": _etag(new_version)})


@router.get("/{layer}/features/{feature_id}/history", summary="要素历史（每一版）")
def get_history(spec: ReadableLayer, feature_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with reading(db, spec) as conn:
        require_visible(conn, spec, actor, feature_id)
        versions = feature_history(conn, spec, feature_id)
        audit_personal_read(conn, spec, actor, "read_personal", feature_id=feature_id, history=True)
    for version in versions:  # history holds what the rows held: mask it like any other output
        version["properties"] = mask_properties(spec, actor, version["properties"])
        version["changed_fields"] = [f for f in version["changed_fields"] if f in version["properties"]
                                     or f == "geometry"]
    return {"layer": spec.name, "id": feature_id, "versions": versions}


@router.post("/{layer}/features/{feature_id}/restore", summary="恢复到某一版（生成新版本，需 If-Match）",
             response_class=Response)
def restore(
    spec: WritableLayer, feature_id: int, db: DbDep, actor: CurrentActor,
    body: Annotated[RestoreBody, Body(examples=[{"version": 1}])],
    if_match: IfMatch = None, reason: ReasonQuery = None,
) -> Response:
    expected = expected_version(if_match)
    target = body.version
    with db.transaction() as conn:
        require_visible(conn, spec, actor, feature_id)
        restore_version(conn, spec, feature_id, expected, target, actor, reason)
        text_body, version = get_feature(conn, spec, feature_id, masked_expressions(spec, actor))
    return _feature_response(text_body, version)
