"""Household extensions of the feature API: aggregated counts anyone signed in may read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from gis_server.deps import CurrentActor, DbDep
from layers.households import SUPPRESS_BELOW, summary

router = APIRouter(prefix="/api/layers/households", tags=["困难群众户 households"])


@router.get("/summary", summary="困难群众户数量汇总（按村或乡镇，小于 5 户不显示）")
def household_summary(
    db: DbDep, actor: CurrentActor,
    by: Annotated[Literal["village", "township"], Query(description="village 按村，township 按乡镇")] = "village",
) -> dict[str, Any]:
    with db.read() as conn:
        rows = summary(conn, by)
    return {"by": by, "suppressed_below": SUPPRESS_BELOW, "rows": rows}
