"""The web pages (map, feature pages) and their static files.

Pages carry layer metadata for the signed-in user, never features: the browser fetches those
from the API. Without a signed-in user a page redirects to ``/login``.
"""

from __future__ import annotations

import gzip
import inspect
import os
from dataclasses import asdict
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from gis_server.deps import get_current_actor
from gis_server.errors import PageAnswer, page_error
from gis_server.routers.tiles import key_fields
from layers.catalog import THEMES, registry
from layers.errors import Unauthenticated
from layers.registry import LayerSpec
from layers.roles import Actor
from web_map.builder import STATIC, render_feature_page, render_map_page
from web_map.settings import MapSettings

router = APIRouter(include_in_schema=False)


async def _actor_or_none(request: Request) -> Actor | None:
    """The signed-in user, or None (the page then sends the browser to the login page)."""
    dependency = request.app.dependency_overrides.get(get_current_actor, get_current_actor)
    try:  # an override (tests) may take no request and need not be async
        actor = dependency(request) if inspect.signature(dependency).parameters else dependency()
        return await actor if inspect.isawaitable(actor) else actor
    except Unauthenticated:
        return None


def _map_settings(request: Request) -> MapSettings:
    settings = getattr(request.app.state, "map_settings", None)
    if settings is None:
        settings = request.app.state.map_settings = MapSettings()
    return settings


OptionalActor = Annotated[Actor | None, Depends(_actor_or_none)]
MapSettingsDep = Annotated[MapSettings, Depends(_map_settings)]


async def page_actor(request: Request, actor: OptionalActor) -> Actor:
    """The signed-in user; signed out, the page answers with the sign-in page (and back here afterwards)."""
    if actor is None:
        raise PageAnswer(login_redirect(request))
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


class PageLayer:
    """The layer named in a page's path, if the signed-in user may read it (``write``: write it). Otherwise
    the page answers as a page: 404 for an unknown layer, 403 for one not allowed, or, with ``fallback``,
    None (the page then offers what the user may use instead).
    """

    def __init__(self, *, write: bool, fallback: bool = False) -> None:
        self.write = write
        self.fallback = fallback

    async def __call__(self, layer: Annotated[str, Path(description="图层名")], actor: PageActor) -> LayerSpec | None:
        spec = registry().get(layer)
        if spec is not None and (spec.can_write if self.write else spec.can_read)(actor.roles):
            return spec
        if self.fallback:
            return None
        if spec is None:
            raise PageAnswer(page_error(404, f"没有名为“{layer}”的图层"))
        verb = "修改" if self.write else "查看"
        raise PageAnswer(page_error(403, f"您无权{verb}图层“{spec.title}”"))


ReadablePageLayer = Annotated[LayerSpec, Depends(PageLayer(write=False))]


def layer_metadata(spec: LayerSpec, actor: Actor) -> dict[str, Any]:
    """What the map needs to know about a layer (no rows): title, theme, permissions, key fields."""
    return {
        "name": spec.name, "title": spec.title, "theme": spec.theme, "geometry_type": spec.geometry_type,
        "large": spec.large, "title_field": spec.title_field, "style": spec.style,
        "personal": bool(spec.personal_fields),
        "new_feature_page": asdict(spec.new_feature_page) if spec.new_feature_page else None,
        "search_api": spec.search_api,
        "permissions": {"read": spec.can_read(actor.roles), "write": spec.can_write(actor.roles)},
        "fields": [{"name": f.name, "label": f.label, "choices": f.choices, "unit": f.unit,
                    "array": f.type == "array", "required": f.required, "notice": f.notice}
                   for f in key_fields(spec)],
    }


def login_redirect(request: Request) -> RedirectResponse:
    """Signed out: to the sign-in page, and back here afterwards."""
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, actor: OptionalActor, settings: MapSettingsDep) -> Response:
    if actor is None:
        return login_redirect(request)
    layers = [layer_metadata(spec, actor) for spec in registry()]
    html = render_map_page(layers, settings, themes=THEMES, user=actor.name)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/features/{layer}/{feature_id}", response_class=HTMLResponse)
def feature_page(spec: ReadablePageLayer, feature_id: int, actor: PageActor, settings: MapSettingsDep) -> Response:
    html = render_feature_page(layer_metadata(spec, actor), feature_id, settings)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


COMPRESSIBLE = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".svg": "image/svg+xml", ".json": "application/json"}


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """The gzip of a static file; keyed by its modification time and size, so a new file is compressed anew."""
    with open(path, "rb") as f:
        return gzip.compress(f.read(), compresslevel=6, mtime=0)


class CompressedStatic(StaticFiles):
    """Static files, gzip-compressed for browsers that accept it (scripts and styles are ~70 % smaller;
    the first map load must stay under 1.5 MB on slow government networks).
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        media = COMPRESSIBLE.get(os.path.splitext(path)[1])
        accepts = b"gzip" in dict(scope.get("headers") or []).get(b"accept-encoding", b"")
        if response.status_code != 200 or media is None or not accepts or scope.get("method") != "GET":
            return response
        full = getattr(response, "path", None)
        if full is None:
            return response
        stat = os.stat(full)
        body = _gzipped(str(full), stat.st_mtime_ns, stat.st_size)
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(body, media_type=media, headers=headers)


def install_pages(app: FastAPI) -> None:
    """Add the pages and their static files (``/static``: our scripts and the npm vendor folder)."""
    app.include_router(router)
    app.mount("/static", CompressedStatic(directory=STATIC, check_dir=False), name="static")

