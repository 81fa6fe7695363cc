"""OGC API – Features Parts 1–3 under ``/ogc``: landing, conformance, collections, items, queryables.

One more face on the feature store: the pages come from ``layers.features.list_features`` with the
same permission checks, privacy row filter, masking and audit record as ``/api/layers``; only the
names of the parameters and the links around the features are the standard's.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, Connection, and_, text

from gis_server.deps import DbDep, Public, SettingsDep
from gis_server.ogc import cql2
from gis_server.ogc.auth import OgcActor, OgcReadableLayer
from gis_server.ogc.crs import CRS84, STORAGE_CRS, Crs, bbox_to_storage, geometry_sql, header, parse_crs, supported
from gis_server.ogc.html import render
from gis_server.routers.features import _parse_bbox
from layers.audit import audit_personal_read, read_record, reading
from layers.catalog import registry
from layers.errors import InvalidInput
from layers.features import ListQuery, get_feature, list_features, q
from layers.geometry import HAICHENG_EXTENT
from layers.privacy import masked_expressions, require_visible, visible_rows_sql
from layers.registry import FieldSpec, LayerSpec
from layers.roles import Actor

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
# the standard's query parameters: every other one is an attribute filter on a queryable
RESERVED = {"bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "filter", "filter-lang", "filter-crs", "f"}
FormatQuery = Annotated[str | None, Query(alias="f", description="json 或 html")]


def root_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def wants_html(request: Request, f: str | None) -> bool:
    if f:
        if f not in ("json", "html"):
            raise InvalidInput(f"参数 f 只能是 json 或 html，不能是“{f}”", f"unsupported f={f!r}", field="f")
        return f == "html"
    return "text/html" in request.headers.get("accept", "")


def answer(request: Request, document: dict[str, Any], f: str | None, media_type: str = "application/json",
           headers: dict[str, str] | None = None) -> Response:
    if wants_html(request, f):
        return render(document, root_url(request) + "?f=html")
    return JSONResponse(document, media_type=media_type, headers=headers)


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, Any]:
    return {"href": href, "rel": rel, "type": type_, **({"title": title} if title else {})}


def temporal_field(spec: LayerSpec) -> FieldSpec | None:
    """The layer's time for ``datetime``: its first own date field (an approval, a survey…), if any."""
    return next((f for f in spec.fields if f.type in ("date", "datetime") and not f.system and not f.personal),
                None)


def collection(request: Request, spec: LayerSpec) -> dict[str, Any]:
    base = f"{root_url(request)}/collections/{spec.name}"
    links = [
        _link(base, "self", "application/json", "本图层"),
        _link(f"{base}?f=html", "alternate", "text/html", "网页"),
        _link(f"{base}/items", "items", GEOJSON, "要素"),
        _link(f"{base}/items?f=html", "items", "text/html", "要素（网页）"),
        _link(f"{base}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
              "可查询字段"),
        _link(f"{base}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json",
              "矢量切片"),
    ]
    time = temporal_field(spec)
    extent: dict[str, Any] = {"spatial": {"bbox": [list(HAICHENG_EXTENT)], "crs": CRS84}}
    if time is not None:
        extent["temporal"] = {"interval": [[None, None]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {"id": spec.name, "title": spec.title, "description": spec.description or spec.theme,
            "itemType": "feature", "extent": extent, "crs": list(supported()), "storageCrs": STORAGE_CRS,
            "links": links}


def readable_layers(actor: Actor) -> list[LayerSpec]:
    return [spec for spec in registry() if spec.can_read(actor.roles)]


@router.get("", summary="OGC API 首页（landing page）", response_class=Response, dependencies=[Public])
def landing(request: Request, f: FormatQuery = None) -> Response:
    root = root_url(request)
    return answer(request, {
        "title": "海城民政一张图 OGC API", "description": "OGC API – Features（第 1–4 部分）与 Tiles",
        "links": [
            _link(root, "self", "application/json", "首页"),
            _link(f"{root}?f=html", "alternate", "text/html", "首页（网页）"),
            _link(f"{root}/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "OpenAPI 文档"),
            _link(f"{root}/conformance", "conformance", "application/json", "符合的标准"),
            _link(f"{root}/collections", "data", "application/json", "图层"),
            _link(f"{root}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                  "application/json", "切片方案"),
        ]}, f)


@router.get("/conformance", summary="符合的标准（conformance）", response_class=Response, dependencies=[Public])
def conformance(request: Request, f: FormatQuery = None) -> Response:
    return answer(request, {"title": "符合的标准", "conformsTo": CONFORMANCE,
                            "links": [_link(f"{root_url(request)}/conformance", "self", "application/json")]}, f)


@router.get("/api", summary="OpenAPI 文档（仅 /ogc）", response_class=Response, dependencies=[Public])
def openapi(request: Request) -> Response:
    app = request.app
    if not hasattr(app.state, "ogc_openapi"):  # the service's document, its /ogc paths only
        whole = app.openapi()
        app.state.ogc_openapi = {**whole, "info": {**whole["info"], "title": "海城民政一张图 OGC API"},
                                 "paths": {k: v for k, v in whole["paths"].items() if k.startswith("/ogc")}}
    return JSONResponse(app.state.ogc_openapi, media_type="application/vnd.oai.openapi+json;version=3.0")


@router.get("/collections", summary="可读的图层（collections）", response_class=Response)
def collections(request: Request, actor: OgcActor, f: FormatQuery = None) -> Response:
    root = root_url(request)
    return answer(request, {
        "title": "图层", "collections": [collection(request, spec) for spec in readable_layers(actor)],
        "crs": list(supported()),
        "links": [_link(f"{root}/collections", "self", "application/json"),
                  _link(f"{root}/collections?f=html", "alternate", "text/html")]}, f)


@router.get("/collections/{layer}", summary="一个图层（collection）", response_class=Response)
def one_collection(request: Request, spec: OgcReadableLayer, actor: OgcActor, f: FormatQuery = None) -> Response:
    return answer(request, collection(request, spec), f)


@router.get("/collections/{layer}/queryables", summary="可查询字段（不含个人信息）", response_class=Response)
def get_queryables(request: Request, spec: OgcReadableLayer, actor: OgcActor, f: FormatQuery = None) -> Response:
    json_types = {"date": ("string", "date"), "datetime": ("string", "date-time")}
    properties: dict[str, Any] = {"geometry": {"title": "几何", "format": f"geometry-{spec.geometry_type.lower()}"
                                               if spec.geometry_type != "Geometry" else "geometry-any"}}
    for field in cql2.queryables(spec):
        kind, fmt = json_types.get(field.type, (field.type, None))
        entry: dict[str, Any] = {"title": field.label, "type": kind}
        if fmt:
            entry["format"] = fmt
        if field.choices:
            entry["enum" if field.type != "array" else "items"] = (
                list(field.choices) if field.type != "array" else {"type": "string", "enum": list(field.choices)})
        properties[field.name] = entry
    url = f"{root_url(request)}/collections/{spec.name}/queryables"
    return answer(request, {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url, "type": "object",
                            "title": spec.title, "properties": properties, "additionalProperties": False,
                            "links": [_link(url, "self", "application/schema+json")]},
                  f, media_type="application/schema+json")


def _instant(value: str) -> date | datetime | None:
    if value in ("", ".."):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"datetime 中的“{value}”不是 RFC 3339 日期或时间", f"bad datetime {value!r}",
                           field="datetime") from None


def datetime_condition(spec: LayerSpec, translator: cql2.Translator, value: str) -> ColumnElement[bool]:
    """``datetime`` (an instant or ``start/end`` with ``..`` open) on the layer's temporal field."""
    field = temporal_field(spec)
    if field is None:
        raise InvalidInput(f"图层“{spec.title}”没有时间字段，不能按 datetime 筛选", "layer has no time",
                           field="datetime")
    column = translator.table.c[field.name]
    if "/" not in value:
        return column == translator.param(_instant(value))
    start, end = (_instant(v) for v in value.split("/", 1))
    parts = [column.is_not(None)]
    if start is not None:
        parts.append(column >= translator.param(start))
    if end is not None:
        parts.append(column <= translator.param(end))
    return and_(*parts)


def items_query(request: Request, spec: LayerSpec, actor: Actor, limit: int, offset: int) -> tuple[ListQuery, Crs]:
    """The feature store's query of an items request, and the CRS of the answer."""
    params = request.query_params
    crs = parse_crs(params.get("crs"), "crs")
    bbox = _parse_bbox(_bbox_text(params.get("bbox")))
    if bbox is not None:
        bbox = bbox_to_storage(bbox, parse_crs(params.get("bbox-crs"), "bbox-crs"))
    translator = cql2.Translator(spec, parse_crs(params.get("filter-crs"), "filter-crs"))
    conditions = []
    if params.get("filter"):
        conditions.append(translator.condition(cql2.parse(params["filter"], params.get("filter-lang"))))
    if params.get("datetime"):
        conditions.append(datetime_condition(spec, translator, params["datetime"]))
    filters = {k: v for k, v in params.items() if k not in RESERVED}
    query = ListQuery(bbox=bbox, limit=limit, offset=offset, filters=filters, row_filter=visible_rows_sql(spec, actor),
                      condition=cql2.compiled(and_(*conditions)) if conditions else None)
    return query, crs


def _bbox_text(value: str | None) -> str | None:
    if value is not None and len(value.split(",")) == 6:  # 3D: the heights are not used
        parts = value.split(",")
        return ",".join([parts[0], parts[1], parts[3], parts[4]])
    return value


_COUNTS = re.compile(rb'"numberMatched":(\d+),"numberReturned":(\d+)')


@router.get("/collections/{layer}/items", summary="要素（分页、bbox、crs、datetime、CQL2 filter）",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def items(
    request: Request, spec: OgcReadableLayer, db: DbDep, actor: OgcActor, settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, description="每页条数")] = 10,
    offset: Annotated[int, Query(ge=0, description="跳过的条数（next/prev 链接给出）")] = 0,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy（bbox-crs 的轴序，默认 CRS84）")] = None,
    f: FormatQuery = None,
) -> Response:
    limit = min(limit, settings.page_limit_max)
    query, crs = items_query(request, spec, actor, limit, offset)
    audit_record = read_record(spec, actor, "read_personal", bbox=bbox, offset=offset, via="ogc",
                               filters=query.filters or None, filter=request.query_params.get("filter"))
    with db.autocommit() as conn:  # the page and, for personal data, the record of this read: one statement
        body = list_features(conn, spec, query, also=audit_record, geometry=geometry_sql(crs))
    found = _COUNTS.search(body[:200])
    assert found is not None
    matched, returned = int(found.group(1)), int(found.group(2))
    links = _page_links(request, spec, offset, limit, matched)
    if wants_html(request, f):
        return render({**json.loads(body), "title": spec.title, "links": links}, root_url(request) + "?f=html")
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    extra = json.dumps({"timeStamp": stamp, "links": links}, ensure_ascii=False).encode()
    return Response(body[:-1] + b"," + extra[1:], media_type=GEOJSON,
                    headers={"Content-Crs": header(crs), "OGC-NumberMatched": str(matched),
                             "OGC-NumberReturned": str(returned)})


def _page_links(request: Request, spec: LayerSpec, offset: int, limit: int, matched: int) -> list[dict[str, Any]]:
    url = request.url
    links = [_link(str(url), "self", GEOJSON, "本页"),
             _link(str(url.include_query_params(f="html")), "alternate", "text/html", "本页（网页）"),
             _link(f"{root_url(request)}/collections/{spec.name}", "collection", "application/json", spec.title)]
    if offset + limit < matched:
        after = url.include_query_params(offset=offset + limit, limit=limit)
        links.append(_link(str(after), "next", GEOJSON, "下一页"))
    if offset > 0:
        links.append(_link(str(url.include_query_params(offset=max(0, offset - limit), limit=limit)), "prev", GEOJSON,
                           "上一页"))
    return links


@router.get("/collections/{layer}/items/{feature_id}", summary="一个要素（ETag 为版本号）", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}}})
def item(request: Request, spec: OgcReadableLayer, feature_id: int, db: DbDep, actor: OgcActor,
         crs: Annotated[str | None, Query(description="输出坐标系 URI")] = None, f: FormatQuery = None) -> Response:
    target = parse_crs(crs, "crs")
    with reading(db, spec) as conn:
        require_visible(conn, spec, actor, feature_id)
        body, version = get_feature(conn, spec, feature_id, masked_expressions(spec, actor))
        audit_personal_read(conn, spec, actor, "read_personal", feature_id=feature_id, via="ogc")
        if target.uri != CRS84:
            feature = json.loads(body)
            feature["geometry"] = _geometry_in(conn, spec, feature_id, target)
            body = json.dumps(feature, ensure_ascii=False)
    base = f"{root_url(request)}/collections/{spec.name}"
    links = [_link(f"{base}/items/{feature_id}", "self", GEOJSON), _link(base, "collection", "application/json")]
    document = {**json.loads(body), "links": links}
    if wants_html(request, f):
        return render({**document, "title": f"{spec.title} {feature_id}"}, root_url(request) + "?f=html")
    return JSONResponse(document, media_type=GEOJSON, headers={"ETag": f'"{version}"', "Content-Crs": header(target)})


def _geometry_in(conn: Connection, spec: LayerSpec, feature_id: int, target: Crs) -> Any:
    sql = geometry_sql(target)
    assert sql is not None
    return json.loads(conn.execute(text(f"SELECT {sql.replace('{g}', 't.geom')} FROM {q(spec.table.name)} t "
                                        "WHERE t.id = :id"), {"id": feature_id}).scalar_one())
