"""The import pages: ``/imports`` lists the layers the signed-in user may write; ``/imports/{layer}``
uploads a file, shows the dry run's report and progress, and commits (the API: ``routers.imports``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from gis_server.routers.pages import MapSettingsDep, PageActor, PageLayer
from gis_server.routers.pages_records import _render
from layers.catalog import registry
from layers.imports.coordinates import CRS_CHOICES
from layers.imports.runner import SUFFIXES
from layers.registry import LayerSpec
from layers.roles import Actor
from web_map.builder import base_page_config
from web_map.settings import MapSettings

router = APIRouter(include_in_schema=False)
POLL_MS = 300  # how often the page asks for the import's progress


# the layer's page for those who may write it; anyone else gets the list of the layers they may import into
WritablePageLayerOrList = Annotated[LayerSpec | None, Depends(PageLayer(write=True, fallback=True))]


@router.get("/imports", response_class=HTMLResponse)
def import_list_page(actor: PageActor, settings: MapSettingsDep) -> Response:
    return _import_page(actor, settings, None)


@router.get("/imports/{layer}", response_class=HTMLResponse)
def import_page(spec: WritablePageLayerOrList, actor: PageActor, settings: MapSettingsDep) -> Response:
    return _import_page(actor, settings, spec)


def _import_page(actor: Actor, settings: MapSettings, spec: LayerSpec | None) -> Response:
    writable = [{"name": s.name, "title": s.title} for s in registry() if s.can_write(actor.roles)]
    config = {**base_page_config(settings, actor.name), "layers": writable, "crs": CRS_CHOICES,
              "accept": ",".join(SUFFIXES), "pollMs": POLL_MS,
              "layer": {"name": spec.name, "title": spec.title} if spec else None}
    title = f"导入数据：{spec.title}" if spec else "导入数据"
    return _render("import.html", title, config, "hc-import.js")
