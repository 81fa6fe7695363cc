"""Coverage of households by shelters and care facilities; shelters, care capacity, child welfare,
where to build next. Aggregates for every signed-in role under one disclosure rule
(``layers.coverage.disclosure``: each role counts the rows it may list; roles that may not read
households see published village cells and sums of them only); every call that counts households is
audited. Household lists only for roles that may read them, always masked (a household is revealed
on its own, one at a time), audited. Recomputing the service areas is for admins and the background
job (``haicheng-gis coverage refresh``) only: other roles read the stored ones, marked when stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Query, Response
from sqlalchemy import text

from formats.media_types import GEOJSON, XLSX
from gis_server.bodies import NetworkParametersBody, OfficerBody
from gis_server.deps import Admin, CurrentActor, DbDep, LayerReader, RequireRoles
from gis_server.downloads import disposition
from layers import audit
from layers.coverage import analysis, care, child_welfare, radii, refresh, shelters, suggest
from layers.coverage.disclosure import RESTRICTED_NOTE, SUPPRESS_BELOW, Audience, households_spec, require_published
from layers.coverage.exports import COVERAGE_COLUMNS, workbook
from layers.coverage.selection import Selection
from layers.errors import Forbidden, InvalidInput
from layers.exports.build import render, table_of
from layers.facilities import CARE_TYPES
from layers.households import HOUSEHOLD_CATEGORIES
from layers.privacy import visible_rows_sql
from layers.roles import ADMIN, Actor

router = APIRouter(prefix="/api/coverage", tags=["服务覆盖 coverage"])

TypeQuery = Annotated[str, Query(description="设施类型代码，逗号分隔（如 happiness_home,day_care）")]
CategoryQuery = Annotated[str | None, Query(description="救助类别代码，逗号分隔；不填 = 全部困难群众户")]
MethodQuery = Annotated[Literal["euclidean", "network"], Query(description="euclidean 直线 / network 路网")]
ModeQuery = Annotated[Literal["walking", "driving"], Query(description="路网方式：walking 步行 / driving 车行")]
ByQuery = Annotated[Literal["village", "township"], Query(description="village 按村 / township 按乡镇")]
RevealQuery = Annotated[bool, Query(description="显示完整个人信息（仅授权角色，记入审计）")]
ListRevealQuery = Annotated[bool, Query(description="不支持：名单始终脱敏，请逐户查看（true 时返回 422）")]
OfficerRegistrar = Annotated[Actor, Depends(RequireRoles(*child_welfare.WRITE_ROLES,
                                                         message="只有社会救助经办人员可以登记儿童福利工作人员"))]
# the lists name households: only for roles that may read them (a refusal before the question is looked at)
HouseholdLister = Annotated[Actor, Depends(LayerReader(households_spec().name, refusal="您无权查看困难群众户名单"))]
OfficerEditor = Annotated[Actor, Depends(RequireRoles(*child_welfare.WRITE_ROLES,
                                                      message="只有社会救助经办人员可以修改儿童福利工作人员"))]


def _selection(db: Any, audience: Audience, facility_type: str, category: str | None, method: str,
               mode: str) -> Selection:
    """The question asked, if this audience may ask it; for the road network, an admin's request first
    brings the stored service areas up to date when roads or facilities changed (a second or two at
    county scale) — other roles read the stored ones (``network_status`` says whether they are stale).
    """
    sel = Selection.parse(facility_type, category, method, mode)
    try:
        require_published(audience.restricted, sel)
    except Forbidden as refused:
        _record_refusal(db, audience, refused, layer="households", coverage=sel.describe(),
                        published_cells_only=True)
        raise
    if sel.method == "network":
        _ensure_fresh(db, audience.actor)
    return sel


def _ensure_fresh(db: Any, actor: Actor) -> None:
    if ADMIN not in actor.roles:
        return
    with db.read() as conn:
        stale = refresh.status(conn)["stale"]
    if stale:
        with db.transaction() as conn:
            refresh.refresh(conn)


def _freshness(conn: Any, sel: Selection) -> dict[str, Any] | None:
    return refresh.status(conn) if sel.method == "network" else None


@contextmanager
def counting(db: Any, audience: Audience, what: str, **detail: Any) -> Iterator[Any]:
    """A transaction for a call that counts households, with its audit record (every role); a
    question refused as not allowed for the role is recorded too (an attempt to learn more).
    """
    values = {"layer": "households", "analysis": what, "published_cells_only": audience.restricted, **detail}
    try:
        with db.transaction() as conn:
            yield conn
            audit.record(conn, audience.actor, "count_households", **values)
    except Forbidden as refused:
        _record_refusal(db, audience, refused, **values)
        raise


def _record_refusal(db: Any, audience: Audience, refused: Forbidden, **values: Any) -> None:
    with db.transaction() as conn:
        audit.record(conn, audience.actor, "count_households", refused=refused.message, **values)


@router.get("", summary="覆盖率（按村或乡镇）")
def coverage(db: DbDep, actor: CurrentActor, facility_type: TypeQuery, category: CategoryQuery = None,
             method: MethodQuery = "euclidean", mode: ModeQuery = "walking", by: ByQuery = "village") -> dict[str, Any]:
    audience = Audience.of(actor)
    sel = _selection(db, audience, facility_type, category, method, mode)
    with counting(db, audience, "coverage", coverage=sel.describe(), by=by) as conn:
        rows = analysis.coverage_rows(conn, sel, by, audience.restricted, audience.row_filter())
        total = analysis.totals(conn, sel, audience.restricted, audience.row_filter())
        fresh = _freshness(conn, sel)
    return {**sel.describe(), "by": by, "rows": rows, "total": total, "network_status": fresh,
            "suppressed_below": SUPPRESS_BELOW, "published_cells_only": audience.restricted}


@router.get("/choropleth", summary="各村未覆盖困难群众户数（GeoJSON 面，供专题图）")
def choropleth(db: DbDep, actor: CurrentActor, facility_type: TypeQuery, category: CategoryQuery = None,
               method: MethodQuery = "euclidean", mode: ModeQuery = "walking") -> Response:
    audience = Audience.of(actor)
    sel = _selection(db, audience, facility_type, category, method, mode)
    with counting(db, audience, "choropleth", coverage=sel.describe()) as conn:
        body = analysis.village_choropleth(conn, sel, audience.restricted, audience.row_filter())
    body.update(sel.describe())
    return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)


def _uncovered(db: Any, actor: Actor, sel: Selection, reveal: bool, village: str | None, limit: int | None,
               offset: int, action: str, **detail: Any) -> dict[str, Any]:
    """The masked list; the caller's right to read households is its route's dependency (``HouseholdLister``)."""
    spec = households_spec()
    if reveal:  # a reveal is for one record at a time (GET /api/layers/households/features/{id}?reveal=true)
        raise InvalidInput("名单和导出中的个人信息始终脱敏：请在名单中逐户点击“显示”查看完整信息（逐条记入审计）",
                           "lists and exports are always masked: reveal one household at a time", field="reveal")
    with db.transaction() as conn:
        collection = analysis.uncovered_features(conn, sel, spec, visible_rows_sql(spec, actor), village, limit,
                                                 offset)
        audit.record(conn, actor, action, layer=spec.name, coverage=sel.describe(), village=village,
                     count=collection["numberReturned"], **detail)
    return collection


@router.get("/uncovered", summary="未覆盖困难群众户名单（个案人员；始终脱敏，记入审计）")
def uncovered(db: DbDep, actor: HouseholdLister, facility_type: TypeQuery, category: CategoryQuery = None,
              method: MethodQuery = "euclidean", mode: ModeQuery = "walking", reveal: ListRevealQuery = False,
              village: Annotated[str | None, Query(description="村或乡镇代码")] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    sel = _selection(db, Audience.of(actor), facility_type, category, method, mode)
    body = _uncovered(db, actor, sel, reveal, village, limit, offset, "read_personal", page_offset=offset)
    return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)


@router.get("/uncovered/export", summary="导出未覆盖名单 XLSX（始终脱敏，记入审计）", response_class=Response)
def uncovered_export(db: DbDep, actor: HouseholdLister, facility_type: TypeQuery, category: CategoryQuery = None,
                     method: MethodQuery = "euclidean", mode: ModeQuery = "walking", reveal: ListRevealQuery = False,
                     village: Annotated[str | None, Query()] = None) -> Response:
    sel = _selection(db, Audience.of(actor), facility_type, category, method, mode)
    collection = _uncovered(db, actor, sel, reveal, village, None, 0, "export", format="xlsx")
    with db.read() as conn:  # the same columns as every export: names beside codes, no WKT
        table = table_of(conn, households_spec(), collection["features"], actor.roles)
    content = render(table, "xlsx", title="未覆盖困难群众户")
    return Response(content, media_type=XLSX,
                    headers=disposition("未覆盖困难群众户名单.xlsx", "uncovered_households.xlsx"))


@router.get("/export", summary="覆盖率表 XLSX（按村、按乡镇）", response_class=Response)
def coverage_export(db: DbDep, actor: CurrentActor, facility_type: TypeQuery, category: CategoryQuery = None,
                    method: MethodQuery = "euclidean", mode: ModeQuery = "walking") -> Response:
    audience = Audience.of(actor)
    sel = _selection(db, audience, facility_type, category, method, mode)
    restricted, rows = audience.restricted, audience.row_filter()
    with counting(db, audience, "coverage_export", coverage=sel.describe(), format="xlsx") as conn:
        villages = analysis.coverage_rows(conn, sel, "village", restricted, rows)
        townships = analysis.coverage_rows(conn, sel, "township", restricted, rows)
    types = "、".join(radii.TYPE_TITLES[t] for t in sel.facility_types)
    cats = "、".join(HOUSEHOLD_CATEGORIES[c] for c in sel.categories) or "全部困难群众户"
    notes = [f"设施类型：{types}", f"救助类别：{cats}", f"方法：{'路网' if sel.method == 'network' else '直线'}",
             RESTRICTED_NOTE if restricted else "未做小格抑制（有权查看困难群众户）"]
    content = workbook([("按乡镇", COVERAGE_COLUMNS, townships), ("按村", COVERAGE_COLUMNS, villages)], notes)
    return Response(content, media_type=XLSX, headers=disposition("服务覆盖统计.xlsx", "coverage.xlsx"))


@router.post("/suggest", summary="新建设施选址建议（最大覆盖模型 MCLP）")
def suggest_sites(db: DbDep, actor: CurrentActor, body: Annotated[suggest.SuggestRequest, Body(examples=[
        {"facility_type": "happiness_home", "k": 3, "method": "euclidean"}])]) -> dict[str, Any]:
    audience = Audience.of(actor)
    if body.method == "network":
        _ensure_fresh(db, actor)
    detail = body.model_dump(exclude={"points"}, exclude_none=True)
    with counting(db, audience, "suggest", points=len(body.points or ()), **detail) as conn:
        # temp tables live for this transaction
        return suggest.suggest(conn, body, audience.restricted, audience.row_filter())


@router.get("/radii", summary="各类设施默认服务半径及依据")
def service_radii(actor: CurrentActor) -> list[dict[str, Any]]:
    return radii.defaults_table()


@router.get("/service-areas", summary="设施服务范围（GeoJSON 面）")
def service_areas(db: DbDep, actor: CurrentActor, facility_type: TypeQuery,
                  mode: Annotated[Literal["euclidean", "walking", "driving"], Query()] = "euclidean") -> Response:
    types = radii.parse_types(facility_type)
    with db.read() as conn:
        body = conn.execute(text(
            "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
            "'type', 'Feature', 'id', sa.facility_layer || '/' || sa.facility_id, "
            "'geometry', ST_AsGeoJSON(sa.geom, 7, 0)::json, 'properties', json_build_object("
            "'facility_layer', sa.facility_layer, 'facility_id', sa.facility_id, 'facility_type', sa.facility_type, "
            "'mode', sa.mode, 'radius_m', sa.radius_m, 'access_m', sa.access_m, 'computed_at', sa.computed_at)) "
            "ORDER BY sa.facility_layer, sa.facility_id), '[]'::json))::text "
            "FROM coverage_service_areas sa WHERE sa.facility_type = ANY(:types) AND sa.mode = :mode "
            "AND sa.geom IS NOT NULL"), {"types": list(types), "mode": mode}).scalar_one()
        status = refresh.status(conn)
    return Response(body, media_type=GEOJSON, headers={"X-Coverage-Stale": "true" if status["stale"] else "false"})


@router.get("/status", summary="服务范围是否需要重新计算")
def coverage_status(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return refresh.status(conn)


def _refresh(db: Any, force: bool) -> None:
    with db.transaction() as conn:
        refresh.refresh(conn, force)


@router.post("/refresh", status_code=202, summary="后台重新计算服务范围（直线与路网）")
def refresh_service_areas(db: DbDep, actor: Admin, background: BackgroundTasks,
                          force: Annotated[bool, Query()] = False) -> dict[str, Any]:
    background.add_task(_refresh, db, force)
    return {"status": "scheduled", "force": force}


@router.get("/parameters", summary="路网参数（步行、车行速度）")
def get_parameters(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return refresh.load_params(conn)


@router.put("/parameters", summary="修改路网参数（管理员；服务范围随后重算）")
def put_parameters(db: DbDep, actor: Admin, body: NetworkParametersBody) -> dict[str, Any]:
    with db.transaction() as conn:
        return refresh.save_params(conn, body.given(), actor)


@router.get("/shelters", summary="避难场所容量与服务区人口")
def shelter_capacity(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    audience = Audience.of(actor)
    with counting(db, audience, "shelter_capacity") as conn:
        rows = shelters.shelter_capacity(conn, audience.restricted, audience.row_filter())
    return {"rows": rows, "over_capacity": sum(r["over_capacity"] for r in rows), "assumption": shelters.ASSUMPTION}


@router.get("/shelters/gaps", summary="无避难场所覆盖的村、无避难场所的乡镇")
def shelter_gaps(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return shelters.areas_without_shelter(conn)


@router.get("/care", summary="养老与福利设施床位、在院人数、入住率")
def care_occupancy(db: DbDep, actor: CurrentActor,
                   facility_type: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    if facility_type is not None and facility_type not in CARE_TYPES:
        raise InvalidInput(f"没有养老设施类型“{facility_type}”", "unknown care type", field="facility_type")
    with db.read() as conn:
        return {"rows": care.facility_occupancy(conn, facility_type)}


@router.get("/care/central-support", summary="特困集中供养：各乡镇床位与需求")
def central_support(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    audience = Audience.of(actor)
    with counting(db, audience, "central_support") as conn:
        return care.central_support_by_township(conn, audience.restricted, audience.row_filter())


@router.get("/child-welfare/officers", summary="儿童主任、儿童督导员名单（默认脱敏，记入审计）")
def officers(db: DbDep, actor: CurrentActor, reveal: RevealQuery = False,
             role: Annotated[Literal["director", "supervisor"] | None, Query()] = None,
             unit_code: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    if reveal and not child_welfare.may_reveal(actor):
        raise Forbidden("您无权查看儿童福利工作人员的完整联系方式", "no reveal permission on officers")
    with db.transaction() as conn:
        rows = child_welfare.list_officers(conn, reveal, role, unit_code)
        audit.record(conn, actor, "reveal" if reveal else "read_personal", layer="child_welfare_officers",
                     count=len(rows), role=role, unit_code=unit_code)
    return {"rows": rows, "revealed": reveal}


@router.post("/child-welfare/officers", status_code=201, summary="登记儿童主任或儿童督导员")
def add_officer(db: DbDep, actor: OfficerRegistrar, body: OfficerBody) -> dict[str, Any]:
    with db.transaction() as conn:
        officer_id = child_welfare.create_officer(conn, body.given(), actor)
        audit.record(conn, actor, "insert", layer="child_welfare_officers", feature_id=officer_id)
    return {"id": officer_id}


@router.delete("/child-welfare/officers/{officer_id}", status_code=204, summary="儿童福利工作人员离任（保留记录）",
               response_class=Response)
def retire_officer(officer_id: int, db: DbDep, actor: OfficerEditor) -> Response:
    with db.transaction() as conn:
        child_welfare.retire_officer(conn, officer_id, actor)
        audit.record(conn, actor, "retire", layer="child_welfare_officers", feature_id=officer_id)
    return Response(status_code=204)


@router.get("/child-welfare/gaps", summary="缺儿童主任的村、缺儿童督导员的乡镇（GeoJSON）")
def child_welfare_gaps(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return child_welfare.gaps(conn)
