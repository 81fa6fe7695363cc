"""Administration: the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from gis_server.deps import Admin, DbDep
from layers import audit

router = APIRouter(prefix="/api", tags=["管理 admin"])


@router.get("/audit", summary="审计日志（仅管理员）")
def audit_log(
    db: DbDep, actor: Admin,
    user: Annotated[str | None, Query(description="用户名")] = None,
    layer: Annotated[str | None, Query(description="图层")] = None,
    action: Annotated[str | None, Query(description="操作，如 update、reveal、login_failed、export")] = None,
    since: Annotated[datetime | None, Query(description="起始时间（含）")] = None,
    until: Annotated[datetime | None, Query(description="截止时间（不含）")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with db.read() as conn:
        return audit.query(conn, username=user, layer=layer, action=action, since=since, until=until, limit=limit,
                           offset=offset)
