"""Household extensions of the feature API: aggregated counts anyone signed in may read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from gis_server.deps import CurrentActor, DbDep
from gis_server.routers.coverage import counting
from layers.coverage.analysis import coverage_rows
from layers.coverage.disclosure import SUPPRESS_BELOW, Audience

router = APIRouter(prefix="/api/layers/households", tags=["困难群众户 households"])


@router.get("/summary", summary="困难群众户数量汇总（按村或乡镇；无权查看困难群众户的角色：小于 5 户不显示）")
def household_summary(
    db: DbDep, actor: CurrentActor,
    by: Annotated[Literal["village", "township"], Query(description="village 按村，township 按乡镇")] = "village",
) -> dict[str, Any]:
    """Counts of the households the caller may list; published village cells and their sums for
    roles that may not read households (``layers.coverage.disclosure``); audited.
    """
    audience = Audience.of(actor)
    with counting(db, audience, "summary", by=by) as conn:
        rows = coverage_rows(conn, None, by, audience.restricted, audience.row_filter())
    rows = [{k: v for k, v in row.items() if k != "township_code"} for row in rows]
    return {"by": by, "suppressed_below": SUPPRESS_BELOW, "published_cells_only": audience.restricted, "rows": rows}
