"""Liveness, readiness and metrics: what a load balancer, a monitor and an operator ask the service."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from gis_server import migrate
from gis_server.deps import Public, get_current_actor, require_admin

router = APIRouter(tags=["系统 system"])
LOOPBACK = {"127.0.0.1", "::1"}
# headers a reverse proxy adds: a request that came through one is not "from this machine"
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


@router.get("/api/health", summary="存活检查（进程在运行）", dependencies=[Public])
async def health() -> dict[str, str]:
    return {"status": "ok"}


def _database_checks(request: Request) -> dict[str, Any]:
    try:
        with request.app.state.db.read() as conn:
            conn.execute(text("SET LOCAL statement_timeout = '2s'"))
            conn.execute(text("SELECT 1"))
            revision = migrate.current_revision(conn)
    except Exception:  # noqa: BLE001 (any failure to reach the database means not ready)
        return {"database": {"ok": False, "message": "无法连接数据库"}}
    heads = migrate.script_heads()
    migrated = revision in heads
    return {
        "database": {"ok": True},
        "migrations": {"ok": migrated, "current": revision, "expected": heads,
                       **({} if migrated else {"message": "数据库结构不是最新版本，请运行 haicheng-gis migrate"})},
    }


def _disk_check(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    folder = settings.data_dir if settings.data_dir.exists() else settings.data_dir.parent
    free_mb = shutil.disk_usage(folder).free // 1_048_576
    ok = free_mb >= settings.ready_min_free_mb
    return {"disk": {"ok": ok, "free_mb": free_mb, "required_mb": settings.ready_min_free_mb,
                     **({} if ok else {"message": "存放上传文件的磁盘空间不足"})}}


@router.get("/api/ready", summary="就绪检查（数据库、数据库结构版本、上传文件磁盘空间）", dependencies=[Public],
            responses={503: {"description": "未就绪：消息说明原因"}})
async def ready(request: Request) -> JSONResponse:
    checks = {**await run_in_threadpool(_database_checks, request), **_disk_check(request)}
    failed = [check["message"] for check in checks.values() if not check["ok"]]
    body = {"status": "ready" if not failed else "not_ready", "checks": checks}
    if failed:
        body["message"] = "；".join(failed)
    return JSONResponse(body, status_code=503 if failed else 200)


def _from_this_machine(request: Request) -> bool:
    host = request.client.host if request.client else None
    return host in LOOPBACK and not any(h in request.headers for h in PROXY_HEADERS)


async def admin_or_this_machine(request: Request) -> None:
    """The permission of ``/metrics``: an admin, or a scraper on this machine (not behind the proxy)."""
    if not _from_this_machine(request):
        require_admin(await get_current_actor(request))


@router.get("/metrics", summary="Prometheus 指标（管理员，或本机访问）", response_class=Response,
            dependencies=[Depends(admin_or_this_machine)])
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
