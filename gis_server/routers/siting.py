"""Cemetery siting (三沿六区): rule sets, site checks, candidate sites, suitable land, coverage, graves.

Every signed-in role may read and check; writing needs ``funeral_planner`` (or ``admin``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from formats.documents import to_html, to_pdf
from formats.media_types import MEDIA_TYPES, PDF, XLSX
from formats.tabular import safe_cell, to_xlsx
from gis_server.bodies import (
    CandidateBody,
    CandidateStatusBody,
    GraveStatusBody,
    RuleSetBody,
    RuleSetVersionBody,
    SiteBody,
    SitingParametersBody,
)
from gis_server.deps import CurrentActor, DbDep, LayerWriter, RequireRoles, SettingsDep
from gis_server.downloads import disposition
from gis_server.jobs import submit_and_answer
from gis_server.jobs.kinds import SUITABLE_COUNTY
from gis_server.routers.features import IfMatch, expected_version
from layers import audit
from layers.catalog import registry
from layers.errors import InvalidInput
from layers.features import update_feature
from layers.geometry import validate_geometry
from layers.inputs import int_or_none, text_or_none
from layers.roles import ADMIN, FUNERAL_PLANNER, Actor
from layers.siting import candidates, coverage, graves, rules, suitable
from layers.siting.check import SITE_TYPES, check_site
from layers.siting.report import build_site_report
from layers.siting.report_map import site_map

router = APIRouter(prefix="/api/siting", tags=["公墓选址 siting"])

RuleSetQuery = Annotated[int | None, Query(description="规则集编号（默认：默认规则集）")]
VersionQuery = Annotated[int | None, Query(description="规则集版本（默认：最新版）")]
VillageQuery = Annotated[str | None, Query(description="村（社区）区划代码")]
TownshipQuery = Annotated[str | None, Query(description="乡镇（街道）区划代码")]
ReportFormat = Literal["pdf", "html"]
# the HTML report is one standalone page: it may load nothing but its own inline images and style
HTML_HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'"}


Planner = Annotated[Actor, Depends(RequireRoles(FUNERAL_PLANNER, ADMIN, message="只有殡葬规划人员可以执行此操作"))]
GraveEditor = Annotated[Actor, Depends(LayerWriter("scattered_graves"))]


def site_geometry(body: dict[str, Any], settings: Any) -> Any:
    """The site of a request body: a GeoJSON Point or Polygon (lon/lat unless ``crs`` says otherwise)."""
    geom = validate_geometry(body.get("geometry"), "Geometry", body.get("crs"), settings.extent_margin_deg)
    if geom.geom_type not in SITE_TYPES:
        raise InvalidInput(f"选址几何应为点或面（Point/Polygon），收到 {geom.geom_type}",
                           f"site must be a Point or Polygon, got {geom.geom_type}", field="geometry")
    return geom


# --- rule sets -------------------------------------------------------------------------------

@router.get("/rule-sets", summary="规则集列表")
def list_rule_sets(db: DbDep, actor: CurrentActor) -> list[dict[str, Any]]:
    with db.replica() as conn:
        return rules.list_rule_sets(conn)


@router.get("/legal-floors", summary="法定最小距离（规则不得低于）")
def legal_floors(actor: CurrentActor) -> dict[str, Any]:
    return rules.legal_floors()


@router.get("/corridor-widths", summary="公路、铁路按等级的默认用地宽度（距离自用地边缘起算）及依据")
def corridor_widths(actor: CurrentActor) -> dict[str, Any]:
    return {"note": rules.shipped()["corridor_widths"]["note"], "widths": rules.corridor_widths()}


@router.get("/rule-sets/{rule_set_id}", summary="规则集（某一版，默认最新版）")
def get_rule_set(rule_set_id: int, db: DbDep, actor: CurrentActor, version: VersionQuery = None) -> dict[str, Any]:
    with db.replica() as conn:
        return rules.get_rule_set(conn, rule_set_id, version).to_dict()


@router.get("/rule-sets/{rule_set_id}/versions", summary="规则集的全部版本")
def rule_set_versions(rule_set_id: int, db: DbDep, actor: CurrentActor) -> list[dict[str, Any]]:
    with db.replica() as conn:
        return rules.list_versions(conn, rule_set_id)


@router.post("/rule-sets", status_code=201, summary="新建规则集（给出全部规则，或复制另一规则集并修改）")
def create_rule_set(db: DbDep, actor: Planner, sent: RuleSetBody) -> dict[str, Any]:
    body = sent.given()
    with db.transaction() as conn:
        created = rules.create_rule_set(conn, body.get("name") or "", text_or_none(body, "description"), actor,
                                        rules=body.get("rules"), copy_of=int_or_none(body, "copy_of"),
                                        note=text_or_none(body, "note"))
        audit.record(conn, actor, "siting_rule_set", layer="siting_rule_sets", feature_id=created.id, version=1)
    return created.to_dict()


@router.post("/rule-sets/{rule_set_id}/versions", status_code=201,
             summary="修改规则集：生成新版本（based_on 为所编辑的版本；rules 可只含要改的规则）")
def edit_rule_set(rule_set_id: int, db: DbDep, actor: Planner,
                  body: Annotated[RuleSetVersionBody, Body(examples=[{
                      "based_on": 1, "note": "县道改为 300 米",
                      "rules": [{"constraint": "highway", "class": "county", "distance_m": 300}]}])]) -> dict[str, Any]:
    with db.transaction() as conn:
        created = rules.create_version(conn, rule_set_id, body.rules, body.based_on, actor, body.note)
        audit.record(conn, actor, "siting_rule_set", layer="siting_rule_sets", feature_id=rule_set_id,
                     version=created.version)
    return created.to_dict()


# --- checking a site -------------------------------------------------------------------------

@router.post("/check", summary="选址合规检查（三沿六区）")
def check(db: DbDep, actor: CurrentActor, settings: SettingsDep,
          sent: Annotated[SiteBody, Body(examples=[{"geometry": {"type": "Point", "coordinates": [122.75, 40.85]}}])]
          ) -> dict[str, Any]:
    body = sent.given()
    geom = site_geometry(body, settings)
    with db.replica() as conn:
        rule_set = rules.get_rule_set(conn, int_or_none(body, "rule_set"),
                                      int_or_none(body, "rule_set_version"))
        return check_site(conn, geom, rule_set)


def _report_response(report: dict[str, Any], map_png: bytes, fmt: str, filename: str, name: str,
                     checker: str | None = None, candidate: dict[str, Any] | None = None) -> Response:
    doc = build_site_report(report, map_png, checker=checker, candidate=candidate)
    if fmt == "html":
        return Response(to_html(doc), media_type=MEDIA_TYPES["html"], headers=HTML_HEADERS)
    return Response(to_pdf(doc), media_type=PDF,
                    headers=disposition(f"{name}.pdf", f"{filename}.pdf", inline=True))


@router.post("/report.{fmt}", summary="选址合规检查报告（PDF / 独立 HTML 页面，含示意图）", response_class=Response)
def check_report(fmt: ReportFormat, db: DbDep, actor: CurrentActor, settings: SettingsDep,
                 sent: Annotated[SiteBody, Body(examples=[
                     {"geometry": {"type": "Point", "coordinates": [122.75, 40.85]}}])]) -> Response:
    body = sent.given()
    geom = site_geometry(body, settings)
    with db.read() as conn:
        rule_set = rules.get_rule_set(conn, int_or_none(body, "rule_set"),
                                      int_or_none(body, "rule_set_version"))
        report = check_site(conn, geom, rule_set)
        map_png = site_map(conn, report)
    return _report_response(report, map_png, fmt, "site_check_report", "公墓选址检查报告", checker=actor.name)


# --- candidate sites -------------------------------------------------------------------------

@router.post("/candidates", status_code=201, summary="保存候选地（当场检查并冻结报告）")
def save_candidate(db: DbDep, actor: Planner, settings: SettingsDep,
                   sent: CandidateBody) -> dict[str, Any]:
    body = sent.given()
    geom = site_geometry(body, settings)
    with db.transaction() as conn:
        rule_set = rules.get_rule_set(conn, int_or_none(body, "rule_set"))
        saved = candidates.save_candidate(conn, geom, body.get("name") or "", rule_set, actor,
                                          text_or_none(body, "village_code"), text_or_none(body, "note"))
        audit.record(conn, actor, "siting_candidate", layer="candidate_sites", feature_id=saved["id"],
                     status=saved["status"])
    return saved


@router.get("/candidates", summary="候选地列表")
def list_candidates(db: DbDep, actor: CurrentActor, village: VillageQuery = None, township: TownshipQuery = None,
                    status: Annotated[str | None, Query(description="状态")] = None) -> list[dict[str, Any]]:
    with db.read() as conn:
        return candidates.list_candidates(conn, village, township, status)


@router.get("/candidates/{candidate_id}", summary="候选地（含冻结的检查报告和审批记录）")
def get_candidate(candidate_id: int, db: DbDep, actor: CurrentActor, response: Response) -> dict[str, Any]:
    with db.read() as conn:
        found = candidates.get_candidate(conn, candidate_id)
    response.headers["ETag"] = f'"{found["version"]}"'
    return found


@router.get("/candidates/{candidate_id}/report.{fmt}", summary="候选地的冻结检查报告（PDF / 独立 HTML 页面）",
            response_class=Response)
def candidate_report(candidate_id: int, fmt: ReportFormat, db: DbDep, actor: CurrentActor) -> Response:
    with db.read() as conn:
        found = candidates.get_candidate(conn, candidate_id)
        map_png = site_map(conn, found["report"])
    return _report_response(found["report"], map_png, fmt, f"candidate_{candidate_id}_report",
                            f"候选地{candidate_id}选址报告", candidate=found)


@router.post("/candidates/{candidate_id}/status", summary="推进审批流程（需 If-Match）")
def change_status(candidate_id: int, db: DbDep, actor: Planner, sent: Annotated[CandidateStatusBody, Body(
        examples=[{"status": "township_review", "note": "提交乡镇审核"}])], if_match: IfMatch = None
                  ) -> dict[str, Any]:
    body = sent.given()
    version = expected_version(if_match)
    with db.transaction() as conn:
        changed = candidates.change_status(conn, candidate_id, text_or_none(body, "status"), version, actor,
                                           text_or_none(body, "note"))
        audit.record(conn, actor, "siting_candidate", layer="candidate_sites", feature_id=candidate_id,
                     status=changed["status"], reason=body.get("note"))
    return changed


@router.get("/candidates/{candidate_id}/recheck", summary="按新版规则重新检查，显示变化")
def recheck(candidate_id: int, db: DbDep, actor: CurrentActor, rule_set: RuleSetQuery = None,
            version: VersionQuery = None) -> dict[str, Any]:
    with db.read() as conn:
        return candidates.recheck(conn, candidate_id, rule_set, version)


# --- suitable land ---------------------------------------------------------------------------

MinAreaQuery = Annotated[float, Query(ge=0, description="最小面积（平方米；默认见规则文件的依据）")]


@router.get("/suitable", summary="可选址用地（村或乡镇，避开全部强制缓冲区）")
def suitable_land(db: DbDep, actor: CurrentActor, village: VillageQuery = None, township: TownshipQuery = None,
                  min_area: MinAreaQuery = suitable.DEFAULT_MIN_AREA_M2, rule_set: RuleSetQuery = None
                  ) -> dict[str, Any]:
    with db.replica() as conn:
        return suitable.suitable_land(conn, rules.get_rule_set(conn, rule_set), village, township, min_area)


@router.post("/suitable/county", status_code=202, summary="后台计算全市可选址用地（返回任务，见 /api/jobs/{id}）")
def compute_county(request: Request, db: DbDep, actor: Planner, rule_set: RuleSetQuery = None) -> dict[str, Any]:
    with db.read() as conn:
        chosen = rules.get_rule_set(conn, rule_set)
    job = submit_and_answer(request.app, SUITABLE_COUNTY, f"{chosen.id}:{chosen.version}",
                            {"rule_set_id": chosen.id, "rule_set_version": chosen.version}, actor)
    return {"status": job["status"], "job": job, "rule_set": {"id": chosen.id, "version": chosen.version}}


@router.get("/suitable/county", summary="全市可选址用地（后台计算的结果）")
def county_suitable_land(db: DbDep, actor: CurrentActor, rule_set: RuleSetQuery = None,
                         township: TownshipQuery = None) -> dict[str, Any]:
    with db.replica() as conn:
        return suitable.stored_county(conn, rules.get_rule_set(conn, rule_set), township)


# --- coverage --------------------------------------------------------------------------------

@router.get("/coverage", summary="公益性公墓覆盖与墓位需求")
def village_coverage(db: DbDep, actor: CurrentActor, township: TownshipQuery = None) -> dict[str, Any]:
    with db.replica() as conn:
        return coverage.coverage(conn, township)


@router.get("/coverage/parameters", summary="覆盖与测算参数（默认值、全市、各村）")
def coverage_parameters(db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return {"defaults": coverage.default_parameters(), "basis": rules.shipped()["coverage"]["basis"],
                "stored": coverage.stored_parameters(conn)}


@router.put("/coverage/parameters/{scope}", summary="修改参数（scope 为 county 或村代码）")
def set_coverage_parameters(scope: str, db: DbDep, actor: Planner,
                            body: Annotated[SitingParametersBody, Body(examples=[{"public_share": 0.8}])]
                            ) -> dict[str, Any]:
    with db.transaction() as conn:
        stored = coverage.set_parameters(conn, scope, body.given(), actor)
        audit.record(conn, actor, "siting_parameters", layer="siting_parameters", scope=scope)
    return stored


# --- scattered graves ------------------------------------------------------------------------

@router.get("/graves", summary="散坟按规则集分类（违反哪条规则、深入多少米）")
def classify_graves(db: DbDep, actor: CurrentActor, village: VillageQuery = None, township: TownshipQuery = None,
                    rule_set: RuleSetQuery = None) -> dict[str, Any]:
    with db.read() as conn:
        chosen = rules.get_rule_set(conn, rule_set)
        classified = graves.classify(conn, chosen, village, township)
    return {"rule_set": {"id": chosen.id, "version": chosen.version}, "summary": graves.summary(classified),
            "graves": classified}


@router.get("/graves/remediation", summary="散坟整治清单（按类型、村分组；format=xlsx 导出）", response_model=None)
def remediation(db: DbDep, actor: CurrentActor, village: VillageQuery = None, township: TownshipQuery = None,
                rule_set: RuleSetQuery = None,
                format: Annotated[Literal["json", "xlsx"], Query(description="json 或 xlsx")] = "json",
                ) -> Response | dict[str, Any]:
    with db.read() as conn:
        chosen = rules.get_rule_set(conn, rule_set)
        rows = graves.remediation(graves.classify(conn, chosen, village, township))
    if format == "json":  # grouped by kind (散埋乱葬, 硬化大墓, 活人墓); the export is in the same order
        return {"rule_set": {"id": chosen.id, "version": chosen.version},
                "groups": graves.remediation_groups(rows), "rows": rows}
    header = [label for _, label in graves.REMEDIATION_COLUMNS]
    table = [[safe_cell(row[name]) for name, _ in graves.REMEDIATION_COLUMNS] for row in rows]
    return Response(to_xlsx(header, table, "散坟整治清单"), media_type=XLSX,
                    headers=disposition("散坟整治清单.xlsx", "grave_remediation.xlsx"))


@router.post("/graves/{grave_id}/status", summary="散坟处置状态（保留须说明理由；需 If-Match）")
def grave_status(grave_id: int, request: Request, db: DbDep, actor: GraveEditor,
                 body: Annotated[GraveStatusBody, Body(examples=[{"status": "moved", "reason": "已迁入东响村公墓"}])],
                 if_match: IfMatch = None) -> dict[str, Any]:
    spec = registry().get("scattered_graves")
    assert spec is not None
    status, reason = graves.validate_status(body.status, body.reason)
    version = expected_version(if_match)
    with db.transaction() as conn:
        new_version = update_feature(conn, spec, grave_id, version, {"status": status, "status_reason": reason},
                                     None, actor, reason or f"处置状态改为 {status}")
    return {"id": grave_id, "status": status, "status_reason": reason, "version": new_version}
