"""The record pages: the gazetteer (地名) list and record pages, the phone field form and the joint
inspection (界线联检) pages.

Like the map pages (:mod:`gis_server.routers.pages`) these carry metadata only — class table,
townships, conditions, what the signed-in user may do — never records: the browser fetches those
from the API (``/api/place-names``, ``/api/inspections``). Without a signed-in user a page sends
the browser to ``/login``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import text

from gis_server.deps import Public
from gis_server.routers.pages import MapSettingsDep, OptionalActor, login_redirect
from layers.catalog import registry
from layers.gazetteer.classes import class_table
from layers.gazetteer.names import VARIANT_KINDS
from layers.inspections.mapdata import STATUS_TITLES
from layers.inspections.models import CAMPAIGN_STATUSES, CONDITION_COLOURS, CONDITIONS, FINDING_KINDS
from layers.place_names import NAME_STATUS, SIGN_CONDITIONS, SIGN_TYPES
from layers.roles import ADMIN, BOUNDARY_SURVEYOR, Actor
from web_map.builder import LEAFLET_CSS, LEAFLET_JS, PAGE_TITLE, base_page_config, render_template, static_url
from web_map.settings import MapSettings

router = APIRouter(include_in_schema=False)

# line status (due/overdue/done) colours of the inspection map (condition colours: layers.inspections.models)
STATUS_COLOURS = {"overdue": "#d62728", "due": "#f28e2b", "done": "#2ca02c"}


FIELD_SW = Path(__file__).resolve().parents[2] / "web_map" / "static" / "js" / "hc-field-sw.js"


def _render(template: str, title: str, config: dict[str, Any], *scripts: str, leaflet: bool = False) -> Response:
    """A record page: our template, the page config as JSON, Leaflet when it has a map, our scripts."""
    css = ([LEAFLET_CSS] if leaflet else []) + [static_url("css/hc-map.css"), static_url("css/hc-records.css")]
    js = ([LEAFLET_JS] if leaflet else []) + [static_url("js/hc-core.js"), *(static_url(f"js/{s}") for s in scripts)]
    html = render_template(template, site=PAGE_TITLE, title=title, config=config, css=css, js=js)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})



def _townships(request: Request) -> list[dict[str, str]]:
    """Code and name of the townships on record (for the filters; a few dozen rows, no geometry)."""
    with request.app.state.db.read() as conn:
        rows = conn.execute(text("SELECT code, name FROM townships WHERE retired_at IS NULL ORDER BY code")).all()
    return [{"code": r.code, "name": r.name} for r in rows]


def _gazetteer_config(request: Request, settings: MapSettings, actor: Actor) -> dict[str, Any]:
    spec = registry().get("place_names")
    classes = [{"code": c.code, "title": c.title, "major": c.major_class} for c in class_table().values()]
    return {**base_page_config(settings, actor.name), "write": bool(spec and spec.can_write(actor.roles)),
            "classes": classes, "townships": _townships(request), "statuses": NAME_STATUS,
            "variantKinds": VARIANT_KINDS, "signTypes": SIGN_TYPES,
            "signConditions": SIGN_CONDITIONS, "api": "/api/place-names", "layers": "/api/layers", "debounceMs": 350,
            "pageSize": 20}


def _inspection_config(settings: MapSettings, actor: Actor) -> dict[str, Any]:
    return {**base_page_config(settings, actor.name), "write": bool({BOUNDARY_SURVEYOR, ADMIN} & set(actor.roles)),
            "findingKinds": FINDING_KINDS,
            "api": "/api/inspections", "conditions": CONDITIONS, "conditionOrder": [*CONDITIONS, "not_inspected"],
            "conditionColours": CONDITION_COLOURS, "lineStatus": STATUS_TITLES, "statusOrder": list(STATUS_TITLES),
            "statusColours": STATUS_COLOURS, "campaignStatus": CAMPAIGN_STATUSES}


@router.get("/place-names", response_class=HTMLResponse)
def place_names_page(request: Request, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    if actor is None:
        return login_redirect(request)
    return _render("place_names.html", "地名查询与登记", _gazetteer_config(request, settings, actor),
                   "hc-jobs.js", "hc-gazetteer.js", leaflet=True)


@router.get("/place-names/{place_id}", response_class=HTMLResponse)
def place_name_page(request: Request, place_id: int, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    if actor is None:
        return login_redirect(request)
    config = {**_gazetteer_config(request, settings, actor), "id": place_id}
    return _render("place_name.html", f"地名 {place_id}", config, "hc-gazetteer.js", leaflet=True)


@router.get("/field", response_class=HTMLResponse)
def field_page(request: Request, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    if actor is None:
        return login_redirect(request)
    return _render("field.html", "界桩外业检查", _inspection_config(settings, actor), "hc-field.js", leaflet=True)


@router.get("/field-sw.js", include_in_schema=False, dependencies=[Public])
def field_service_worker() -> Response:
    """The phone form's service worker at the root, so that its scope can be /field (offline reload)."""
    return FileResponse(FIELD_SW, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(request: Request, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    if actor is None:
        return login_redirect(request)
    return _render("inspections.html", "界线联检", _inspection_config(settings, actor), "hc-inspections.js",
                   "hc-campaign-forms.js", leaflet=True)


@router.get("/inspections/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: int, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    if actor is None:
        return login_redirect(request)
    config = {**_inspection_config(settings, actor), "id": campaign_id}
    return _render("campaign.html", f"联检任务 {campaign_id}", config, "hc-print.js", "hc-inspections.js",
                   "hc-campaign-forms.js",
                   leaflet=True)
