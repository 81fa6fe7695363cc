"""The analysis pages: cemetery siting (``/siting``) and service coverage (``/coverage``), plus the
upload of a site file the siting page checks (``POST /api/siting/upload``).

Like the map, the pages carry metadata only (layer list, choices, who may do what); the browser
asks the siting and coverage APIs for everything else, and those APIs enforce the permissions.
Without a signed-in user a page redirects to ``/login``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import text

from gis_server.deps import CurrentActor, SettingsDep
from gis_server.routers.pages import MapSettingsDep, OptionalActor, layer_metadata, login_redirect
from importers.site_upload import SUFFIXES, read_site
from layers.catalog import THEMES, registry
from layers.cemeteries import GRAVE_STATUS
from layers.coverage.radii import defaults_table
from layers.households import HOUSEHOLD_CATEGORIES
from layers.roles import ADMIN, FUNERAL_PLANNER, Actor
from layers.siting.candidates import STATUSES, TRANSITIONS
from layers.siting.rules import CONSTRAINTS
from web_map.builder import (
    GEOMAN_CSS,
    GEOMAN_JS,
    LEAFLET_CSS,
    LEAFLET_JS,
    PAGE_TITLE,
    PROJ4_JS,
    VECTORGRID_JS,
    base_page_config,
    map_config,
    render_template,
    static_url,
)

router = APIRouter(include_in_schema=False)

SITING_THEMES = ("行政区划", "公墓与散坟", "三沿六区约束")
# the approval steps in order (rejected is a way out of any review step, not a step)
STEPS = ["candidate", "township_review", "county_approval", "under_construction", "in_use"]
NEXT_LABELS = {"township_review": "提交乡镇审核", "county_approval": "报县民政局审批",
               "under_construction": "批准，开始建设", "in_use": "建成使用", "rejected": "驳回",
               "withdrawn": "撤回草稿"}
VENDOR_CSS = (LEAFLET_CSS,)
VENDOR_JS = (LEAFLET_JS, PROJ4_JS)


def _page(template: str, title: str, actor: Actor, config: dict[str, Any], css: tuple[str, ...],
          js: tuple[str, ...]) -> HTMLResponse:
    html = render_template(template,
        title=title, site=PAGE_TITLE, user=actor.name, config=config,
        css=[*VENDOR_CSS, *css, static_url("css/hc-map.css"), static_url("css/hc-analysis.css")],
        js=[*VENDOR_JS, *js, static_url("js/hc-core.js")] + [static_url(f"js/{name}") for name in config["scripts"]])
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})



@router.get("/siting", response_class=HTMLResponse)
def siting_page(request: Request, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    """Draw or upload a site, read its 三沿六区 report, save it as a candidate, find suitable land."""
    if actor is None:
        return login_redirect(request)
    layers = []
    graves_spec = registry().get("scattered_graves")
    assert graves_spec is not None
    for spec in registry():
        if spec.theme in SITING_THEMES:
            meta = layer_metadata(spec, actor)
            meta["permissions"]["write"] = False  # this page checks sites; features are edited on the map
            layers.append(meta)
    config = {**map_config(layers, settings, [t for t in THEMES if t in SITING_THEMES], actor.name),
              # the constraints are what a site is checked against: on from the start (issue 16: siting on
              # a blank canvas); their tiles and pages are fetched for the view only
              "visibleThemes": ["行政区划", "三沿六区约束"],
              "canSave": bool({FUNERAL_PLANNER, ADMIN} & set(actor.roles)),
              "constraints": [[name, c.label] for name, c in CONSTRAINTS.items()],
              "statuses": STATUSES, "steps": STEPS, "transitions": TRANSITIONS, "nextLabels": NEXT_LABELS,
              "uploadFormats": sorted(SUFFIXES),
              "graveStatus": GRAVE_STATUS, "canWriteGraves": graves_spec.can_write(actor.roles),
              "scripts": ["hc-print.js", "hc-style.js", "hc-layers.js", "hc-tools.js", "hc-cluster.js", "hc-jobs.js",
                          "hc-siting.js"]}
    return _page("siting.html", "公墓选址", actor, config, (GEOMAN_CSS,), (GEOMAN_JS, VECTORGRID_JS))


def _units(request: Request) -> dict[str, list[list[str]]]:
    """Townships ``[code, name]`` and villages ``[code, name, township code]`` on record, for the page's
    pickers (the list filter, the officer form): public names, no geometry, a few hundred short rows.
    """
    with request.app.state.db.read() as conn:
        towns = conn.execute(text("SELECT code, name FROM townships WHERE retired_at IS NULL ORDER BY code")).all()
        villages = conn.execute(text("SELECT code, name, township_code FROM villages WHERE retired_at IS NULL "
                                     "ORDER BY code")).all()
    return {"townships": [[t.code, t.name] for t in towns],
            "villages": [[v.code, v.name, v.township_code or v.code[:9]] for v in villages]}


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    """Coverage by township and village, the uncovered list (case office), where to build next."""
    if actor is None:
        return login_redirect(request)
    config = {**base_page_config(settings, actor.name), "facilityTypes": defaults_table(),
              "categories": HOUSEHOLD_CATEGORIES, "roles": sorted(actor.roles), "units": _units(request),
              "scripts": ["hc-print.js", "hc-coverage.js", "hc-coverage-sections.js"]}
    return _page("coverage.html", "服务覆盖分析", actor, config, (), ())


@router.post("/api/siting/upload")
def upload_site(actor: CurrentActor, settings: SettingsDep,
                file: Annotated[UploadFile, File(description="GeoJSON、KML、GeoPackage 或 Shapefile 压缩包")]
                ) -> dict[str, Any]:
    """One site (point or polygon) from a file, as a GeoJSON geometry in EPSG:4490; nothing is stored."""
    filename = Path(file.filename or "upload").name
    site = read_site(file.file, filename, settings.extent_margin_deg)
    return {**site.to_dict(), "filename": filename}
