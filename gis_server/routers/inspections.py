"""Joint boundary inspections (界线联合检查): campaigns, field package, field results, records, photos,
report, re-survey and the map data of the inspection pages.

Everyone signed in reads; ``boundary_surveyor`` and ``admin`` write.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Form, Header, Query, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from formats.documents import to_docx, to_pdf, to_xlsx
from formats.media_types import GEOJSON, MEDIA_TYPES
from gis_server.bodies import CampaignBody, CampaignStatusBody, FindingBody, RecordBody, ResurveyBody
from gis_server.deps import CurrentActor, DbDep, RequireRoles, SettingsDep
from gis_server.downloads import disposition
from gis_server.routers.features import IfMatch, expected_version
from layers import audit
from layers.errors import Conflict, InvalidInput, NotFound
from layers.features import feature_history, retire_feature
from layers.geometry import validate_geometry
from layers.inputs import int_or_none, text_or_none
from layers.inspections import campaigns, mapdata, package, photos, records, report, results, resurvey
from layers.inspections.field_records import read_field_file
from layers.inspections.models import CONDITIONS, InspectionRecord
from layers.registry import LayerSpec
from layers.roles import ADMIN, BOUNDARY_SURVEYOR, EVERYONE, Actor

router = APIRouter(prefix="/api/inspections", tags=["界线联检 inspections"])

WRITERS = frozenset({BOUNDARY_SURVEYOR})
# inspection records are not a registry layer; this declaration only serves their history and retirement
RECORDS_SPEC = LayerSpec("inspection_records", "联检记录", "界线界桩", InspectionRecord, "Point", EVERYONE, WRITERS)
OnConflict = Annotated[Literal["abort", "skip", "incoming"],
                       Query(description="有冲突时：abort 全部不导入（默认）；skip 导入其余；"
                                         "incoming 以文件记录替换已有记录")]


Surveyor = Annotated[Actor, Depends(RequireRoles(BOUNDARY_SURVEYOR, ADMIN, message="只有界线测绘人员可以执行此操作"))]


def _file(content: bytes, kind: str, filename: str, name: str) -> Response:
    return Response(content, media_type=MEDIA_TYPES[kind], headers=disposition(name, filename))


def _store(settings: Any) -> photos.PhotoStore:
    return photos.PhotoStore(Path(settings.data_dir) / "photos")


# --- campaigns -------------------------------------------------------------------------------

@router.get("/conditions", summary="界桩状况可选值")
def conditions(actor: CurrentActor) -> dict[str, str]:
    return CONDITIONS


@router.post("/campaigns", status_code=201, summary="新建联检任务")
def create_campaign(db: DbDep, actor: Surveyor, body: Annotated[CampaignBody, Body(examples=[
        {"name": "海城市—大石桥市界线联检", "year": 2025, "round": 1, "line_ids": [1]}])]) -> dict[str, Any]:
    with db.transaction() as conn:
        campaign_id = campaigns.create_campaign(conn, body.given(), actor)
        audit.record(conn, actor, "insert", layer="inspection_campaigns", feature_id=campaign_id)
        return campaigns.get_campaign(conn, campaign_id)


@router.get("/campaigns", summary="联检任务列表")
def list_campaigns(db: DbDep, actor: CurrentActor, year: int | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    with db.read() as conn:
        return campaigns.list_campaigns(conn, year, limit, offset)


@router.get("/campaigns/{campaign_id}", summary="联检任务")
def get_campaign(campaign_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return campaigns.get_campaign(conn, campaign_id)


@router.post("/campaigns/{campaign_id}/status", summary="变更任务状态（完成时更新界线的联检日期；需 If-Match）")
def set_status(campaign_id: int, db: DbDep, actor: Surveyor,
               body: Annotated[CampaignStatusBody, Body(examples=[{"status": "completed", "end_date": "2025-06-30"}])],
               if_match: IfMatch = None) -> dict[str, Any]:
    end = campaigns.parse_date(body.end_date, "end_date")
    with db.transaction() as conn:
        out = campaigns.set_status(conn, campaign_id, body.status, expected_version(if_match), actor, end)
        audit.record(conn, actor, "update", layer="inspection_campaigns", feature_id=campaign_id,
                     status=out["status"])
        return out


# --- field package and results ---------------------------------------------------------------

@router.get("/campaigns/{campaign_id}/package.gpkg", summary="外业数据包（GeoPackage，QField/QGIS）",
            response_class=Response)
def package_gpkg(campaign_id: int, db: DbDep, actor: CurrentActor) -> Response:
    with db.read() as conn:
        return _file(package.package_bytes(conn, campaign_id), "gpkg", f"campaign_{campaign_id}.gpkg",
                     f"联检任务{campaign_id}外业数据包.gpkg")


@router.get("/campaigns/{campaign_id}/package.gpx", summary="界桩航点（GPX，手持 GNSS）", response_class=Response)
def package_gpx(campaign_id: int, db: DbDep, actor: CurrentActor) -> Response:
    with db.read() as conn:
        campaigns.get_campaign(conn, campaign_id)
        return _file(package.gpx_bytes(conn, campaign_id), "gpx", f"campaign_{campaign_id}.gpx",
                     f"联检任务{campaign_id}界桩.gpx")


@router.get("/campaigns/{campaign_id}/markers.{fmt}", summary="界桩检查表（打印用 PDF / XLSX）",
            response_class=Response)
def marker_table(campaign_id: int, fmt: Literal["pdf", "xlsx"], db: DbDep, actor: CurrentActor) -> Response:
    with db.read() as conn:
        doc = report.build_marker_table(conn, campaign_id)
    return _file(to_pdf(doc) if fmt == "pdf" else to_xlsx(doc), fmt, f"campaign_{campaign_id}_markers.{fmt}",
                 f"联检任务{campaign_id}界桩表.{fmt}")


@router.post("/campaigns/{campaign_id}/results", summary="导入外业成果（GeoPackage / CSV / GPX，整体导入，可重复导入）")
def import_results(campaign_id: int, db: DbDep, actor: Surveyor, settings: SettingsDep,
                   file: Annotated[UploadFile, File(description="编辑后的 .gpkg、.csv 或 .gpx")],
                   on_conflict: OnConflict = "abort") -> JSONResponse:
    filename = Path(file.filename or "upload").name
    field_file = read_field_file(file.file, filename, settings.import_max_rows, settings.upload_max_bytes)
    with db.transaction() as conn:
        campaigns.get_campaign(conn, campaign_id)
        result = results.import_file(conn, campaign_id, field_file, actor, filename, on_conflict,
                                     settings.extent_margin_deg)
        if result.applied:
            audit.record(conn, actor, "bulk_load", layer="inspection_records", filename=filename,
                         campaign_id=campaign_id, created=result.created, updated=result.updated,
                         unchanged=result.unchanged, conflicts=len(result.conflicts))
    body = result.to_dict()
    if not result.applied:
        body.update(error="conflict", message=f"有 {len(result.conflicts)} 处冲突，未导入任何记录；请处理后重新导入，"
                    "或选择 on_conflict=skip（导入其余）/ incoming（以文件为准）",
                    message_en="conflicts; nothing imported")
    return JSONResponse(body, status_code=200 if result.applied else 409)


# --- records ---------------------------------------------------------------------------------

@router.get("/campaigns/{campaign_id}/records", summary="检查记录（位移精确到厘米，超限标记，照片到达情况）")
def list_records(campaign_id: int, db: DbDep, actor: CurrentActor) -> list[dict[str, Any]]:
    with db.read() as conn:
        campaigns.get_campaign(conn, campaign_id)
        return records.list_records(conn, campaign_id)


def _record_input(body: dict[str, Any], settings: Any) -> records.RecordInput:
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= 100:
        raise InvalidInput("每条记录须带客户端生成的标识 client_id（如 UUID）", "client_id (8–100 chars) is required",
                           field="client_id")
    geom = None
    if body.get("geometry") is not None:
        geom = validate_geometry(body["geometry"], "Point", body.get("crs"), settings.extent_margin_deg)
    marker_id = body.get("marker_id")
    if isinstance(marker_id, bool) or not isinstance(marker_id, int):
        raise InvalidInput("marker_id 应为界桩编号（整数）", "marker_id must be an integer", field="marker_id")
    try:
        condition = results.parse_condition(body.get("condition"))
        measured_at = results.parse_time(body.get("measured_at"))
    except ValueError:
        raise InvalidInput("界桩状况或检查时间无效：状况可选 " + "、".join(CONDITIONS.values()),
                           "bad condition or measured_at", field="condition") from None
    names = body.get("photo_names") or []
    if not isinstance(names, list):
        raise InvalidInput("photo_names 应为文件名列表", "photo_names must be a list", field="photo_names")
    return records.RecordInput(
        marker_id=marker_id, client_id=client_id, condition=condition, measured_at=measured_at,
        inspector=body.get("inspector"), inspector_partner=body.get("inspector_partner"),
        reference_check=body.get("reference_check"), notes=body.get("notes"), photo_names=[str(n) for n in names],
        accuracy_m=body.get("accuracy_m"), geom=geom, where=f"client_id={client_id}")


@router.post("/campaigns/{campaign_id}/records", summary="提交一条记录（手机表单；按 client_id 幂等）")
def post_record(campaign_id: int, db: DbDep, actor: Surveyor, settings: SettingsDep,
                body: Annotated[RecordBody, Body(examples=[{
                    "client_id": "5f0c…uuid", "marker_id": 1, "condition": "intact",
                    "geometry": {"type": "Point", "coordinates": [122.75, 40.85]},
                    "measured_at": "2025-05-01T10:00:00+08:00", "inspector": "张三", "photo_names": ["a.jpg"]}])],
                ) -> JSONResponse:
    record = _record_input(body.given(), settings)
    with db.transaction() as conn:
        campaigns.get_campaign(conn, campaign_id)
        result = results.plan_and_apply(conn, campaign_id, [record], actor, "手机表单提交")
        if not result.applied:
            raise Conflict(result.conflicts[0]["message"], result.conflicts[0]["kind"], conflicts=result.conflicts)
        status = "created" if result.created else "updated" if result.updated else "unchanged"
        out = {"status": status, "record": records.get_record(conn, result.record_ids[0])}
    return JSONResponse(out, status_code=201 if status == "created" else 200)


@router.get("/records/{record_id}", summary="一条检查记录")
def get_record(record_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return records.get_record(conn, record_id)


@router.get("/records/{record_id}/history", summary="检查记录的每一版")
def record_history(record_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return {"id": record_id, "versions": feature_history(conn, RECORDS_SPEC, record_id)}


@router.delete("/records/{record_id}", status_code=204, summary="注销一条记录（解决冲突用；需 If-Match）",
               response_class=Response)
def retire_record(record_id: int, db: DbDep, actor: Surveyor, if_match: IfMatch = None,
                  reason: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    with db.transaction() as conn:
        version = retire_feature(conn, RECORDS_SPEC, record_id, expected_version(if_match), actor, reason)
    return Response(status_code=204, headers={"ETag": f'"{version}"'})


# --- findings along the lines ----------------------------------------------------------------

@router.get("/campaigns/{campaign_id}/findings", summary="沿线情况（地物变化、跨界建设、问题与处理）")
def list_findings(campaign_id: int, db: DbDep, actor: CurrentActor) -> list[dict[str, Any]]:
    with db.read() as conn:
        campaigns.get_campaign(conn, campaign_id)
        return campaigns.list_findings(conn, campaign_id)


@router.post("/campaigns/{campaign_id}/findings", status_code=201, summary="记录沿线情况")
def add_finding(campaign_id: int, db: DbDep, actor: Surveyor, settings: SettingsDep,
                sent: Annotated[FindingBody, Body(examples=[{"line_id": 1, "kind": "construction",
                                                     "description": "跨界修建乡道", "handling": "双方协商"}])],
                ) -> dict[str, Any]:
    body = sent.given()
    geom = None
    if body.get("geometry") is not None:
        geom = validate_geometry(body["geometry"], "Geometry", body.get("crs"), settings.extent_margin_deg)
    with db.transaction() as conn:
        return campaigns.add_finding(conn, campaign_id, body, geom, actor)


# --- report ----------------------------------------------------------------------------------

@router.get("/campaigns/{campaign_id}/report.{fmt}", summary="联合检查报告（PDF / DOCX / XLSX）",
            response_class=Response)
def campaign_report(campaign_id: int, fmt: Literal["pdf", "docx", "xlsx"], db: DbDep, actor: CurrentActor,
                    settings: SettingsDep) -> Response:
    with db.read() as conn:
        doc = report.build_report(conn, campaign_id, _store(settings))
    render = {"pdf": to_pdf, "docx": to_docx, "xlsx": to_xlsx}[fmt]
    return _file(render(doc), fmt, f"campaign_{campaign_id}_report.{fmt}",
                 f"联检任务{campaign_id}成果报告.{fmt}")


# --- markers: nearest, re-survey, position history -------------------------------------------

@router.get("/markers/nearest", summary="离某位置最近的界桩（按 EPSG:4550 米）")
def nearest(db: DbDep, actor: CurrentActor, lon: Annotated[float, Query(ge=-180, le=180)],
            lat: Annotated[float, Query(ge=-90, le=90)], campaign_id: int | None = None,
            limit: Annotated[int, Query(ge=1, le=20)] = 3) -> list[dict[str, Any]]:
    with db.read() as conn:
        return records.nearest_markers(conn, lon, lat, campaign_id, limit)


@router.post("/markers/{marker_id}/resurvey",
             summary="复测：接受新的登记位置（需 If-Match、批准文件号与界线双方的确认；界桩只能经此变更位置）")
def resurvey_marker(marker_id: int, db: DbDep, actor: Surveyor, settings: SettingsDep,
                    sent: Annotated[ResurveyBody, Body(examples=[{
                        "record_id": 1, "document": "联检复测记录〔2025〕1号",
                        "confirmations": {"side_a": {"confirmed_by": "王一", "confirmed_on": "2025-05-02"},
                                          "side_b": {"confirmed_by": "赵三", "confirmed_on": "2025-05-03"}}}])],
                    if_match: IfMatch = None) -> dict[str, Any]:
    body = sent.given()
    geom = None
    if body.get("geometry") is not None:
        geom = validate_geometry(body["geometry"], "Point", body.get("crs"), settings.extent_margin_deg)
    with db.transaction() as conn:
        version = resurvey.accept_position(
            conn, marker_id, expected_version(if_match), actor, document=body.get("document"),
            confirmations=body.get("confirmations"), geom=geom,
            record_id=int_or_none(body, "record_id"), survey_method=text_or_none(body, "survey_method"),
            accuracy_m=body.get("accuracy_m"), survey_date=campaigns.parse_date(body.get("survey_date"), "survey_date"))
        return {"marker_id": marker_id, "version": version, "positions": resurvey.position_history(conn, marker_id)}


@router.get("/markers/{marker_id}/positions", summary="界桩登记位置的历次变更（含依据文件）")
def positions(marker_id: int, db: DbDep, actor: CurrentActor) -> list[dict[str, Any]]:
    with db.read() as conn:
        return resurvey.position_history(conn, marker_id)


# --- photos ----------------------------------------------------------------------------------

@router.get("/uploads/{sha256}", summary="续传：服务器已收到的字节数")
def upload_offset(sha256: str, actor: CurrentActor, settings: SettingsDep) -> dict[str, Any]:
    store = _store(settings)
    sha = photos.check_sha(sha256)
    return {"sha256": sha, "offset": store.offset(sha), "complete": store.has(sha)}


@router.patch("/uploads/{sha256}", summary="续传：从 Upload-Offset 处追加一段（最后一段校验 SHA-256）")
def upload_chunk(sha256: str, actor: Surveyor, settings: SettingsDep,
                 chunk: Annotated[bytes, Body(media_type="application/offset+octet-stream")],
                 upload_offset: Annotated[int, Header(ge=0)], upload_length: Annotated[int, Header(ge=1)]
                 ) -> dict[str, Any]:
    store = _store(settings)
    offset = store.append(sha256, upload_offset, chunk, upload_length)
    return {"sha256": sha256.lower(), "offset": offset, "complete": store.has(sha256.lower())}


def _attach(db: Any, actor: Actor, settings: Any, sha256: str, name: str | None, file: UploadFile | None,
            **target: int) -> JSONResponse:
    store = _store(settings)
    if file is not None:
        with db.read() as conn:  # nothing is kept for a record or marker that does not exist
            photos.photo_target(conn, **target)
        store.put(sha256, file.file.read(photos.MAX_PHOTO_BYTES + 1))
    with db.transaction() as conn:
        photo, created = photos.attach(conn, store, sha256, name or (file.filename if file else None) or sha256,
                                       actor.name, **target)
    return JSONResponse(photo, status_code=201 if created else 200)


@router.post("/records/{record_id}/photos", summary="记录的照片（带 SHA-256；可先分段上传，再只传校验和）")
def record_photo(record_id: int, db: DbDep, actor: Surveyor, settings: SettingsDep,
                 sha256: Annotated[str, Form()], name: Annotated[str | None, Form()] = None,
                 file: Annotated[UploadFile | None, File()] = None) -> JSONResponse:
    return _attach(db, actor, settings, sha256, name, file, record_id=record_id)


@router.post("/markers/{marker_id}/photos", summary="界桩的照片（带 SHA-256）")
def marker_photo(marker_id: int, db: DbDep, actor: Surveyor, settings: SettingsDep,
                 sha256: Annotated[str, Form()], name: Annotated[str | None, Form()] = None,
                 file: Annotated[UploadFile | None, File()] = None) -> JSONResponse:
    return _attach(db, actor, settings, sha256, name, file, marker_id=marker_id)


@router.get("/records/{record_id}/photos", summary="记录的照片到达情况")
def record_photos(record_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return records.get_record(conn, record_id)["photos"]


def _photo_file(db: Any, settings: Any, photo_id: int, thumb: bool) -> FileResponse:
    with db.read() as conn:
        photo = photos.get_photo(conn, photo_id)
    store = _store(settings)
    path = store.thumb(photo["sha256"]) if thumb else store.path(photo["sha256"])
    if not path.exists():
        raise NotFound("照片文件缺失", f"file of photo {photo_id} is missing")
    return FileResponse(path, media_type="image/jpeg" if thumb else photo["media_type"])


@router.get("/photos/{photo_id}", summary="照片原图", response_class=FileResponse)
def photo_file(photo_id: int, db: DbDep, actor: CurrentActor, settings: SettingsDep) -> FileResponse:
    return _photo_file(db, settings, photo_id, thumb=False)


@router.get("/photos/{photo_id}/thumbnail", summary="照片缩略图", response_class=FileResponse)
def photo_thumbnail(photo_id: int, db: DbDep, actor: CurrentActor, settings: SettingsDep) -> FileResponse:
    return _photo_file(db, settings, photo_id, thumb=True)


# --- map data --------------------------------------------------------------------------------

@router.get("/map/lines", summary="界线及联检状态（逾期/待检/已检）", response_class=Response)
def map_lines(db: DbDep, actor: CurrentActor, as_of: date | None = None) -> Response:
    with db.read() as conn:
        return Response(mapdata.lines_geojson(conn, as_of), media_type=GEOJSON)


@router.get("/map/markers", summary="界桩及最近一次检查的状况与位移", response_class=Response)
def map_markers(db: DbDep, actor: CurrentActor, campaign_id: int | None = None,
                line_id: int | None = None) -> Response:
    with db.read() as conn:
        return Response(mapdata.markers_geojson(conn, campaign_id, line_id), media_type=GEOJSON)


@router.get("/campaigns/{campaign_id}/displacements", summary="位移箭头（登记位置 → 实测位置）",
            response_class=Response)
def map_displacements(campaign_id: int, db: DbDep, actor: CurrentActor) -> Response:
    with db.read() as conn:
        campaigns.get_campaign(conn, campaign_id)
        return Response(mapdata.displacement_arrows_geojson(conn, campaign_id), media_type=GEOJSON)
