"""``GET /api/layers/{layer}/export``: any readable layer as GeoPackage, Shapefile, GeoJSON, CSV, XLSX
or KML, filtered by bbox and attributes as the feature list is; masked and audited.

A case-office user (or an administrator: the roles that may reveal one record) may ask for
``reveal=true`` and a reason: the file then holds the full personal data, and the audit log gets a
``reveal`` entry naming every record in it besides the ``export`` entry every export gets.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from formats import FileRefused
from gis_server.deps import CurrentActor, DbDep, ReadableLayer
from gis_server.downloads import disposition
from gis_server.routers.features import list_query
from layers import audit
from layers.errors import Forbidden, InvalidInput
from layers.exports.build import FORMATS, read_table, render
from layers.privacy import may_reveal

router = APIRouter(prefix="/api/layers", tags=["图层与要素 layers"])

FORMAT_TITLES = "gpkg（GeoPackage）、shp（Shapefile 压缩包）、geojson、csv、xlsx、kml"


@router.get("/{layer}/export", response_class=Response,
            summary="导出（GeoPackage/Shapefile/GeoJSON/CSV/XLSX/KML，按范围和属性筛选，脱敏，记入审计）")
def export(
    request: Request, spec: ReadableLayer, db: DbDep, actor: CurrentActor,
    format: Annotated[Literal["gpkg", "shp", "geojson", "csv", "xlsx", "kml"],
                      Query(description=f"文件格式：{FORMAT_TITLES}")] = "xlsx",
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy（经纬度）")] = None,
    sort: Annotated[str | None, Query(description="排序字段，前加 - 为降序")] = None,
    encoding: Annotated[Literal["utf-8", "gbk"], Query(description="CSV 与 Shapefile 的编码（gbk 供旧版桌面软件）")]
    = "utf-8",
    reveal: Annotated[bool, Query(description="导出完整个人信息（仅授权角色，须填写原因，逐条记入审计日志）")] = False,
    reason: Annotated[str | None, Query(max_length=500, description="完整导出的原因")] = None,
) -> Response:
    if encoding == "gbk" and format not in ("csv", "shp"):
        raise InvalidInput("只有 CSV 和 Shapefile 可以选择 GBK 编码", "encoding=gbk is for csv and shp only",
                           field="encoding")
    if reveal:
        if not spec.personal_fields or not may_reveal(spec, actor):
            raise Forbidden(f"您无权导出“{spec.title}”的完整个人信息", f"no reveal permission on {spec.name}")
        if not (reason or "").strip():
            raise InvalidInput("导出完整个人信息须填写原因（reason）", "reveal needs a reason", field="reason")
    query = list_query(request, spec, actor, bbox, None, 0, sort)
    query.filters = {k: v for k, v in query.filters.items() if k != "encoding"}
    with db.transaction() as conn:
        table = read_table(conn, spec, query, actor.roles, reveal=reveal, cipher=request.app.state.cipher)
        try:
            content = render(table, format, encoding)
        except FileRefused as exc:
            field = "encoding" if encoding != "utf-8" else "format"
            raise InvalidInput(exc.message, exc.message_en, field=field) from None
        audit.record(conn, actor, "export", layer=spec.name, format=format, count=len(table.ids), bbox=bbox,
                     sort=sort, filters=query.filters or None, encoding=encoding if encoding != "utf-8" else None,
                     reveal=reveal or None)
        if reveal:
            audit.record(conn, actor, "reveal", layer=spec.name, reason=reason, export=format,
                         feature_ids=table.ids)
    media, extension = FORMATS[format]
    if format == "csv":
        media += f"; charset={encoding}"
    return Response(content, media_type=media,
                    headers=disposition(f"{spec.title}.{extension}", f"{spec.name}.{extension}"))
