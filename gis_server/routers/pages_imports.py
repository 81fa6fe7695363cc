"""The import pages: ``/imports`` lists the layers the signed-in user may write; ``/imports/{layer}``
uploads a file, shows the dry run's report and progress, and commits (the API: ``routers.imports``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gis_server.routers.pages import MapSettingsDep, OptionalActor, login_redirect
from gis_server.routers.pages_records import _render
from layers.catalog import registry
from layers.imports.coordinates import CRS_CHOICES
from layers.imports.runner import SUFFIXES
from web_map.builder import base_page_config

router = APIRouter(include_in_schema=False)
POLL_MS = 300  # how often the page asks for the import's progress


@router.get("/imports", response_class=HTMLResponse)
@router.get("/imports/{layer}", response_class=HTMLResponse)
def import_page(request: Request, actor: OptionalActor, settings: MapSettingsDep, layer: str | None = None) -> Response:
    if actor is None:
        return login_redirect(request)
    writable = [{"name": s.name, "title": s.title} for s in registry() if s.can_write(actor.roles)]
    spec = registry().get(layer) if layer else None
    if layer and (spec is None or not spec.can_write(actor.roles)):
        spec = None  # the page then lists what this user may import into
    config = {**base_page_config(settings, actor.name), "layers": writable, "crs": CRS_CHOICES,
              "accept": ",".join(SUFFIXES), "pollMs": POLL_MS,
              "layer": {"name": spec.name, "title": spec.title} if spec else None}
    title = f"导入数据：{spec.title}" if spec else "导入数据"
    return _render("import.html", title, config, "hc-import.js")
