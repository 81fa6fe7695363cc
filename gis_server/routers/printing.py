"""``POST /api/print``: the current view with its visible layers as an A4/A3 map sheet (PDF or PNG),
drawn on the server so that it looks the same from every browser (``layers.printing``).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from formats.media_types import MEDIA_TYPES
from gis_server.bodies import PrintBody
from gis_server.deps import CurrentActor, DbDep
from gis_server.downloads import disposition
from layers.printing import parse_request, print_map

router = APIRouter(prefix="/api", tags=["打印 print"])


@router.post("/print", response_class=Response,
             summary="打印地图：当前范围与可见图层的 A4/A3 图幅（PDF/PNG，含图例、比例尺、指北针、制图单位与日期）")
def print_sheet(db: DbDep, actor: CurrentActor, body: PrintBody) -> Response:
    request = parse_request(body.given())
    with db.transaction() as conn:  # the features and the audit record of a personal layer commit together
        content, info = print_map(conn, request, actor)
    headers = {**disposition(f"{request.title}.{request.fmt}", f"map.{request.fmt}"),
               "X-Print-Scale": f"1:{info['scale']}", "X-Print-Scale-Bar-M": str(info["scale_bar_m"]),
               "X-Print-Layers": ",".join(f"{layer['name']}={layer['count']}" for layer in info["layers"])}
    return Response(content, media_type=MEDIA_TYPES[request.fmt], headers=headers)
