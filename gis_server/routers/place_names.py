"""The gazetteer API: naming-rule check, search, lifecycle, other names, signs, publication, import."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from formats.documents import Document, to_pdf
from formats.media_types import GEOJSON, MEDIA_TYPES, PDF
from formats.tabular import safe_cell, to_csv, to_xlsx
from gis_server.deps import CurrentActor, DbDep, LayerWriter, SettingsDep
from gis_server.downloads import disposition
from gis_server.jobs import submit_and_answer
from gis_server.jobs.kinds import DICTIONARY
from gis_server.routers.features import IfMatch, expected_version
from importers.place_names import Limits, commit_import, dry_run
from layers import audit
from layers.catalog import registry
from layers.features import get_feature
from layers.gazetteer import lifecycle, publication
from layers.gazetteer.classes import SCOPES, class_table
from layers.gazetteer.names import VARIANT_KINDS, add_variant, variants_of
from layers.gazetteer.rules import validate
from layers.gazetteer.search import SearchQuery, search
from layers.gazetteer.signs import mismatched_signs
from layers.geometry import validate_geometry
from layers.registry import LayerSpec
from layers.roles import Actor

router = APIRouter(prefix="/api/place-names", tags=["地名 gazetteer"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ValidateBody(_Body):
    name: str = Field(max_length=100, title="名称")
    class_code: str = Field(max_length=5, title="类别代码")
    geometry: dict[str, Any] | None = Field(default=None, title="位置")
    id: int | None = Field(default=None, title="地名编号")


class ApproveBody(_Body):
    approval_authority: str = Field(min_length=1, title="批准机关")
    approval_doc_no: str = Field(min_length=1, title="批准文号")
    approval_date: date = Field(title="批准日期")
    reason: str | None = Field(default=None, title="理由")


class AnnounceBody(_Body):
    announced_date: date = Field(title="公告日期")
    reason: str | None = Field(default=None, title="理由")


class FileBody(_Body):
    filed_date: date = Field(title="备案日期")
    filed_to: str = Field(min_length=1, max_length=200, title="备案机关")
    reason: str | None = Field(default=None, title="理由")


class RenameBody(_Body):
    new_name: str = Field(min_length=1, max_length=100, title="新名称")
    approval_doc_no: str = Field(min_length=1, title="批准文号")
    rename_date: date = Field(title="更名日期")
    approval_authority: str | None = Field(default=None, title="批准机关")
    # required (a missing one is refused by the lifecycle with the article that asks for it)
    justification: str | None = Field(default=None, title="更名理由",
                                      description="必填：更名理由（《地名管理条例》第十条）")
    pinyin: str | None = Field(default=None, title="拼音")
    pinyin_toned: str | None = Field(default=None, title="带声调拼音")


class AbolishBody(_Body):
    abolished_date: date = Field(title="撤销日期")
    approval_doc_no: str | None = Field(default=None, title="批准文号")
    reason: str | None = Field(default=None, title="理由")


class VariantBody(_Body):
    name: str = Field(min_length=1, max_length=100, title="名称")
    kind: Literal["alias", "abbreviation", "historical", "colloquial"] = Field(title="类型")
    pinyin: str | None = Field(default=None, title="拼音")
    start_date: date | None = Field(default=None, title="起始日期")
    end_date: date | None = Field(default=None, title="终止日期")
    source: str | None = Field(default=None, title="来源")
    document: str | None = Field(default=None, title="依据文件")


def _spec() -> LayerSpec:
    spec = registry().get("place_names")
    assert spec is not None
    return spec


PLACE_NAME_WRITERS = LayerWriter("place_names", refusal="您无权修改地名")
Editor = Annotated[Actor, Depends(PLACE_NAME_WRITERS)]


def _feature(conn: Any, place_id: int) -> Response:
    body, version = get_feature(conn, _spec(), place_id)
    return Response(body, media_type=GEOJSON, headers={"ETag": f'"{version}"'})


def _pdf(doc: Document, filename: str, name: str) -> Response:
    return Response(to_pdf(doc), media_type=PDF, headers=disposition(f"{name}.pdf", f"{filename}.pdf"))


def _file(header: list[str], rows: list[list[Any]], fmt: str, title: str, filename: str, name: str) -> Response:
    rows = [[safe_cell(v) for v in row] for row in rows]
    content = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, title)
    return Response(content, media_type=MEDIA_TYPES[fmt],
                    headers=disposition(f"{name}.{fmt}", f"{filename}.{fmt}"))


@router.get("/classes", summary="地名类别表（11 大类及小类、命名查重范围）")
def classes(actor: CurrentActor) -> list[dict[str, Any]]:
    return [{**vars(c), "title": c.title, "scope_title": SCOPES[c.scope]} for c in class_table().values()]


@router.post("/validate", summary="命名规则检查（重名、同音、通名、生僻字、禁用词、保护名录）")
def check_name(body: ValidateBody, db: DbDep, actor: CurrentActor, settings: SettingsDep) -> dict[str, Any]:
    geom = (validate_geometry(body.geometry, "Geometry", None, settings.extent_margin_deg)
            if body.geometry is not None else None)
    with db.read() as conn:
        return validate(conn, body.name, body.class_code, geom, body.id)


@router.get("/search", summary="地名查询（中文、全拼、首字母、别名与曾用名）")
def search_names(
    db: DbDep, actor: CurrentActor,
    q: Annotated[str, Query(min_length=1, max_length=100, description="地名、拼音（可带空格或声调）或拼音首字母")],
    class_code: Annotated[str | None, Query(max_length=5, description="类别代码（可只给前缀，如 06）")] = None,
    township_code: Annotated[str | None, Query(max_length=9, description="所在乡镇代码")] = None,
    status: Annotated[str | None, Query(description="状态：proposed/approved/announced/historical")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with db.replica() as conn:
        return search(conn, SearchQuery(q, class_code, township_code, status, limit, offset))


@router.get("/deadlines", summary="备案、公告期限（批准后 15 日内）：已逾期和即将到期的地名")
def filing_deadlines(db: DbDep, actor: CurrentActor,
                     within_days: Annotated[int, Query(ge=0, le=15, description="提前提醒天数")] = 5) -> dict[str, Any]:
    with db.read() as conn:
        items = lifecycle.deadlines(conn, lifecycle.beijing_today(), within_days)
    return {"items": items, "overdue": sum(1 for i in items if i["overdue"])}


@router.get("/signs/mismatches", summary="标志与现标准名称不符（更名、废止后待更换的地名标志）")
def sign_mismatches(db: DbDep, actor: CurrentActor,
                    township_code: Annotated[str | None, Query(max_length=9)] = None) -> dict[str, Any]:
    with db.read() as conn:
        items = mismatched_signs(conn, township_code)
    return {"total": len(items), "items": items}


@router.get("/directory", summary="地名录（按乡镇、类别，按拼音排序；JSON / CSV / XLSX / PDF）", response_model=None)
def directory(db: DbDep, actor: CurrentActor,
              township_code: Annotated[str | None, Query(max_length=9)] = None,
              class_code: Annotated[str | None, Query(max_length=5)] = None,
              include_historical: bool = False,
              format: Annotated[Literal["json", "csv", "xlsx", "pdf"], Query()] = "json") -> Any:
    with db.replica() as conn:
        rows = publication.directory_rows(conn, township_code, class_code, include_historical)
    if format == "json":
        return {"total": len(rows), "columns": dict(publication.DIRECTORY_COLUMNS), "items": rows}
    if format == "pdf":
        return _pdf(publication.directory_document(rows, township_code, class_code), "place_name_directory",
                    "海城市地名录")
    header, values = publication.table(rows, publication.DIRECTORY_COLUMNS)
    return _file(header, values, format, "地名录", "place_name_directory", "海城市地名录")


@router.get("/dictionary.pdf", summary="地名词典（名称、拼音、类别、位置、含义、历史沿革；PDF）",
            response_class=Response)
def dictionary(db: DbDep, actor: CurrentActor,
               township_code: Annotated[str | None, Query(max_length=9, description="乡镇（街道）代码")] = None,
               class_code: Annotated[str | None, Query(max_length=5, description="类别代码（可只给前缀）")] = None,
               include_historical: bool = False) -> Response:
    with db.read() as conn:
        rows = publication.directory_rows(conn, township_code, class_code, include_historical)
        variants = publication.variants_by_place(conn, [r["id"] for r in rows])
    return _pdf(publication.dictionary_document(rows, variants, township_code, class_code), "place_name_dictionary",
                "海城市地名词典")


@router.post("/dictionary/jobs", status_code=202,
             summary="地名词典 PDF 的后台任务（全市可能较慢：返回任务，进度见 status_url，文件见 result_url）")
def dictionary_job(request: Request, actor: CurrentActor,
                   township_code: Annotated[str | None, Query(max_length=9, description="乡镇（街道）代码")] = None,
                   class_code: Annotated[str | None, Query(max_length=5, description="类别代码（可只给前缀）")] = None,
                   include_historical: bool = False) -> dict[str, Any]:
    params = {"township_code": township_code, "class_code": class_code, "include_historical": include_historical}
    key = f"{township_code or '*'}|{class_code or '*'}|{int(include_historical)}"
    return submit_and_answer(request.app, DICTIONARY, key, params, actor)


@router.get("/announcement", summary="地名公告（期间内批准的命名、更名；JSON / CSV / XLSX / PDF）", response_model=None)
def announcement(db: DbDep, actor: CurrentActor, start: date, end: date,
                 format: Annotated[Literal["json", "csv", "xlsx", "pdf"], Query()] = "json") -> Any:
    with db.read() as conn:
        rows = publication.announcement_rows(conn, start, end)
    if format == "json":
        return {"text": publication.announcement_text(rows, start, end),
                "columns": dict(publication.ANNOUNCEMENT_COLUMNS), "items": rows}
    if format == "pdf":
        return _pdf(publication.announcement_document(rows, start, end), f"place_name_announcement_{start}_{end}",
                    f"地名公告_{start}_{end}")
    header, values = publication.table(rows, publication.ANNOUNCEMENT_COLUMNS)
    return _file(header, values, format, "地名公告", f"place_name_announcement_{start}_{end}",
                 f"地名公告_{start}_{end}")


@router.post("/import", summary="导入普查数据（XLSX/CSV/SHP(zip)/GPKG；先预检，commit=true 时按地名代码写入）")
def import_file(
    db: DbDep, actor: CurrentActor, settings: SettingsDep,
    file: Annotated[UploadFile, File(description="XLSX、CSV（UTF-8 或 GBK）、zip 打包的 Shapefile 或 GPKG")],
    commit: bool = False, crs: Annotated[str | None, Query(description="坐标系，默认 EPSG:4490")] = None,
) -> dict[str, Any]:
    filename = file.filename or "upload.csv"
    limits = Limits(settings.import_max_rows, settings.upload_max_bytes, settings.import_max_seconds)
    if not commit:
        with db.read() as conn:
            return dry_run(conn, file.file, filename, crs, limits)
    PLACE_NAME_WRITERS.check(actor)  # the dry run is for everyone; storing is for writers
    with db.transaction() as conn:
        result = commit_import(conn, file.file, filename, actor, crs, limits)
        audit.record(conn, actor, "import", layer="place_names", filename=filename, rows=result["rows"],
                     summary=result["summary"])
    return result


@router.get("/{place_id}/names", summary="一个地名的全部名称（标准名称、别名、简称、历史名称、俗称）")
def names(place_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        body, _version = get_feature(conn, _spec(), place_id)
        props = json.loads(body)["properties"]
        return {"id": place_id, "standard": {"name": props["name"], "pinyin": props["pinyin"],
                                             "pinyin_toned": props["pinyin_toned"], "status": props["status"]},
                "variants": variants_of(conn, place_id), "kinds": VARIANT_KINDS}


@router.post("/{place_id}/variants", status_code=201, summary="登记别名、简称、历史名称或俗称")
def post_variant(place_id: int, body: VariantBody, db: DbDep, actor: Editor) -> dict[str, Any]:
    with db.transaction() as conn:
        get_feature(conn, _spec(), place_id)
        variant_id = add_variant(conn, place_id, body.name, body.kind, pinyin=body.pinyin,
                                 start_date=body.start_date, end_date=body.end_date, source=body.source,
                                 document=body.document)
        audit.record(conn, actor, "add_variant", layer="place_names", feature_id=place_id, variant_id=variant_id)
        return {"id": variant_id, "variants": variants_of(conn, place_id)}


def _step(db: Any, actor: Actor, place_id: int, if_match: str | None, step: Callable[..., int],
          **kwargs: Any) -> Response:
    """One lifecycle step (its route lets writers only), against the version the editor saw; answers the new feature."""
    version = expected_version(if_match)
    with db.transaction() as conn:
        step(conn, place_id, version, actor, **kwargs)
        return _feature(conn, place_id)


@router.post("/{place_id}/approve", summary="批准（分配 20 位地名代码；需 If-Match）", response_class=Response)
def approve(place_id: int, body: ApproveBody, db: DbDep, actor: Editor, if_match: IfMatch = None) -> Response:
    return _step(db, actor, place_id, if_match, lifecycle.approve, authority=body.approval_authority,
                 doc_no=body.approval_doc_no, approval_date=body.approval_date, reason=body.reason)


@router.post("/{place_id}/announce", summary="公告（需 If-Match）", response_class=Response)
def announce(place_id: int, body: AnnounceBody, db: DbDep, actor: Editor, if_match: IfMatch = None) -> Response:
    return _step(db, actor, place_id, if_match, lifecycle.announce, announced_date=body.announced_date,
                 reason=body.reason)


@router.post("/{place_id}/file", summary="备案（批准后 15 日内报上级政府备案；需 If-Match）", response_class=Response)
def file_name(place_id: int, body: FileBody, db: DbDep, actor: Editor, if_match: IfMatch = None) -> Response:
    return _step(db, actor, place_id, if_match, lifecycle.file_record, filed_date=body.filed_date,
                 filed_to=body.filed_to, reason=body.reason)


@router.post("/{place_id}/rename",
             summary="更名（须填理由；原名连同其备案、公告转为历史名称，新名称 15 日内重新备案、公告；需 If-Match）",
             response_class=Response)
def rename(place_id: int, body: RenameBody, db: DbDep, actor: Editor, if_match: IfMatch = None) -> Response:
    return _step(db, actor, place_id, if_match, lifecycle.rename, new_name=body.new_name,
                 doc_no=body.approval_doc_no, rename_date=body.rename_date, authority=body.approval_authority,
                 justification=body.justification, pinyin=body.pinyin, pinyin_toned=body.pinyin_toned)


@router.post("/{place_id}/abolish", summary="废止（转为历史地名，仍可查询；需 If-Match）", response_class=Response)
def abolish(place_id: int, body: AbolishBody, db: DbDep, actor: Editor, if_match: IfMatch = None) -> Response:
    return _step(db, actor, place_id, if_match, lifecycle.abolish, abolished_date=body.abolished_date,
                 doc_no=body.approval_doc_no, reason=body.reason)
