"""``GET /api/jobs/{id}`` (status, progress, result) and ``GET /api/jobs/{id}/result`` (the file).

A job is visible to those who asked for it and to admins; to anyone else it does not exist (404, the
same answer as for an id never used), so that ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.concurrency import run_in_threadpool

from gis_server.deps import CurrentActor, DbDep
from gis_server.downloads import disposition
from gis_server.jobs import queue
from layers.errors import Conflict, NotFound
from layers.roles import ADMIN, Actor

router = APIRouter(prefix="/api/jobs", tags=["后台任务 jobs"])
STATUS_TEXT = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}


def submit(app: FastAPI, kind: str, key: str, params: dict[str, Any], requested_by: str) -> int:
    """Queue a job (or join the pending one of the same kind and key) and wake a worker; its id."""
    job_id, _made = queue.submit(app.state.db, kind, key, params, requested_by)
    app.state.jobs.wake()
    return job_id


def submit_and_answer(app: FastAPI, kind: str, key: str, params: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """What a router returns with 202: the job as :func:`job_view` shows it."""
    job_id = submit(app, kind, key, params, actor.name)
    found = queue.view(app.state.db, job_id)
    assert found is not None  # just made or joined
    return job_view(found)


def job_view(row: dict[str, Any]) -> dict[str, Any]:
    view = {key: row[key] for key in ("id", "kind", "status", "progress", "message", "result")}
    view["status_text"] = STATUS_TEXT[row["status"]]
    for key in ("created_at", "started_at", "finished_at"):
        view[key] = row[key].isoformat() if row[key] else None
    view["status_url"] = f"/api/jobs/{row['id']}"
    view["result_url"] = f"/api/jobs/{row['id']}/result" if row["output_name"] and row["status"] == "done" else None
    return view


def _visible(db: Any, actor: Actor, job_id: int, *, result: bool = False) -> dict[str, Any]:
    """The job, for those who asked for it; an admin also sees how others' jobs run (operations), but
    never their results: a job's result may hold what only its requester may read (a household export).
    """
    row = queue.view(db, job_id)
    if row is None or not (actor.name in row["requested_by"] or (ADMIN in actor.roles and not result)):
        raise NotFound(f"没有编号为 {job_id} 的任务", f"no job {job_id}")
    return row


@router.get("/{job_id}", summary="后台任务的状态和进度")
async def job_status(job_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    row = await run_in_threadpool(_visible, db, actor, job_id)
    view = job_view(row)
    if actor.name not in row["requested_by"]:  # an admin watching: state only
        view.update(result=None, result_url=None)
    return view


@router.get("/{job_id}/result", summary="后台任务的结果文件", response_class=Response)
def job_result(job_id: int, db: DbDep, actor: CurrentActor) -> Response:
    row = _visible(db, actor, job_id, result=True)
    if row["status"] != "done" or not row["output_name"]:
        raise Conflict(f"任务 {job_id} {STATUS_TEXT[row['status']]}，还没有结果文件", f"job {job_id} has no file",
                       status=row["status"])
    found = queue.output(db, job_id)
    assert found is not None
    content, media_type, filename = found
    title = (row["result"] or {}).get("title") or filename
    return Response(content, media_type=media_type, headers=disposition(title, filename))
