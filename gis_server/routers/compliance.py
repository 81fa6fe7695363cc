"""Continuous compliance over HTTP: each role's 待办 list, acknowledging or resolving an item (audited), the
change report for a period (JSON, XLSX, PDF) and its page. The re-checks themselves run in the background
(``layers.compliance.queue``), started by the changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from formats.documents import to_pdf, to_xlsx
from gis_server.bodies import NoteBody
from gis_server.deps import CurrentActor, DbDep
from gis_server.downloads import disposition
from gis_server.jobs import JobContext, handler
from gis_server.routers.pages import OptionalActor, login_redirect
from layers import audit
from layers.compliance import queue, report, todo
from layers.errors import InvalidInput
from layers.roles import Actor
from web_map.builder import PAGE_TITLE, render_template, static_url

router = APIRouter(tags=["持续合规 compliance"])
DRAIN_JOB = "compliance.drain"
MAX_ROUNDS = 20  # a job drains what came meanwhile too (a wake-up during a run joins the running job)


@handler(DRAIN_JOB)
def drain(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """The background re-check, started by the changes (the NOTIFY listener in gis_server.app): drain until
    nothing waits.
    """
    total: dict[str, Any] = {"changes": 0, "rounds": 0}
    for _ in range(MAX_ROUNDS):
        with ctx.db.transaction() as conn:
            conn.execute(text("SET LOCAL jit = off"))
            summary = queue.drain(conn)
        if not summary.get("changes"):
            break
        total["changes"] += summary["changes"]
        total["rounds"] += 1
        total["last"] = summary
        ctx.progress(0.5, f"已复核 {total['changes']} 项变更")
    return total

TYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FindingId = Annotated[int, Path(ge=1, le=2**63 - 1, description="待办事项编号")]
Note = Annotated[NoteBody, Body(description="确认知悉时须填写说明", examples=[{"note": "已通知乡镇，下周现场核实"}])]


@router.get("/api/compliance/todo", summary="我的待办：本角色需处理的复核结果（计数与列表）")
def my_todo(db: DbDep, actor: CurrentActor,
            limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
            offset: Annotated[int, Query(ge=0, le=1_000_000, description="跳过条数")] = 0) -> dict[str, Any]:
    with db.transaction() as conn:
        out = todo.todo(conn, actor, limit, offset)
        if "coverage" in todo.topics_for(actor):  # items name households (by number and place): audited
            audit.record(conn, actor, "read_personal", layer="households", what="compliance_todo",
                         items=sum(1 for i in out["items"] if i["topic"] == "coverage"))
    return out


def _act(db: Any, actor: Actor, finding_id: int, action: str, body: Note) -> dict[str, Any]:
    with db.transaction() as conn:
        out = todo.act(conn, actor, finding_id, action, body.note)
        audit.record(conn, actor, f"compliance_{action}", layer=out["record_layer"], feature_id=out["record_id"],
                     reason=out["note"], finding=finding_id, kind=out["kind"])
    return out


@router.post("/api/compliance/findings/{finding_id}/acknowledge", summary="确认知悉一条待办（须填写说明，记入审计）")
def acknowledge(finding_id: FindingId, db: DbDep, actor: CurrentActor, body: Note) -> dict[str, Any]:
    return _act(db, actor, finding_id, "acknowledge", body)


@router.post("/api/compliance/findings/{finding_id}/resolve", summary="处理完毕一条待办（记入审计）")
def resolve(finding_id: FindingId, db: DbDep, actor: CurrentActor, body: Note) -> dict[str, Any]:
    return _act(db, actor, finding_id, "resolve", body)


@router.get("/api/changes", summary="变更报告：期间内各图层的变更及其引起的结果（JSON / XLSX / PDF）")
def changes(db: DbDep, actor: CurrentActor,
            since: Annotated[datetime, Query(description="起始时间（含），ISO 8601，如 2026-11-01T00:00:00+08:00")],
            until: Annotated[datetime | None, Query(description="截止时间（不含）；不填 = 至今")] = None,
            format: Annotated[Literal["json", "xlsx", "pdf"], Query(description="json / xlsx / pdf")] = "json",
            ) -> Any:
    if until is not None and until <= since:
        raise InvalidInput("截止时间 until 应晚于起始时间 since", "until must be after since", field="until")
    with db.read() as conn:
        out = report.changes(conn, actor, since, until)
    if format == "json":
        return out
    doc = report.document(out)
    content = to_pdf(doc) if format == "pdf" else to_xlsx(doc)
    name = f"变更报告_{since.date().isoformat()}.{format}"
    return Response(content, media_type=TYPES[format],
                    headers=disposition(name, f"changes_{since.date().isoformat()}.{format}"))


@router.get("/changes", response_class=HTMLResponse, include_in_schema=False)
def changes_page(request: Request, actor: OptionalActor) -> Response:
    """The change report and the 待办 list on one page."""
    if actor is None:
        return login_redirect(request)
    html = render_template("changes.html", title="变更与待办", site=PAGE_TITLE, user=actor.name,
                           config={"user": actor.name, "topics": todo.topics_for(actor)},
                           css=[static_url("css/hc-map.css"), static_url("css/hc-analysis.css")],
                           js=[static_url("js/hc-core.js"), static_url("js/hc-changes.js")])
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
