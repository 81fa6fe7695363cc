"""Every route declares who may call it, as a dependency (issue 19 item 2).

The route table is walked; a route passes when one of its dependencies, at any depth, is a permission
from ``gis_server.deps`` (``RequireRoles``, ``ReadableLayer``/``WritableLayer``/``LayerAccess``,
``LayerWriter``, ``Authenticated`` = the signed-in user, ``Public``), the OGC sign-in (Basic or Bearer)
or the pages' optional sign-in (a page sends the signed-out browser to the login page), or
``/metrics``' own (an admin, or this machine). No database:
the app is only built, never started.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from gis_server.app import create_app
from gis_server.deps import (
    Admin,
    LayerAccess,
    LayerWriter,
    Public,
    ReadableLayer,
    RequireRoles,
    WritableLayer,
    get_current_actor,
    public,
)
from gis_server.ogc.auth import ogc_actor
from gis_server.routers.pages import PageLayer, _actor_or_none, page_actor
from gis_server.routers.system import admin_or_this_machine
from gis_server.settings import Settings
from layers.errors import Forbidden
from layers.roles import ADMIN, Actor

MARKERS: set[Callable[..., Any]] = {get_current_actor, public, ogc_actor, _actor_or_none, page_actor,
                                    admin_or_this_machine}
PERMISSION_CLASSES = (LayerAccess, LayerWriter, RequireRoles, PageLayer)  # with OgcLayerAccess, LayerReader
# FastAPI's own documentation routes and the static files: public, and not ours to decorate
FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def permissions_of(route: Any) -> list[Callable[..., Any]]:
    """The permission dependencies a route declares (its parameters', its decorator's and its router's)."""
    return [call for call in _calls(route.dependant) if call in MARKERS or isinstance(call, PERMISSION_CLASSES)]


def api_routes(app: FastAPI) -> Iterator[Any]:
    """The API routes as served: included routers flattened, with their full path and dependencies."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def undeclared(app: FastAPI) -> list[str]:
    """``METHODS path`` of every route that declares no permission."""
    missing = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            if not permissions_of(context):
                missing.append(f"{','.join(sorted(context.methods))} {context.path}")
        elif isinstance(route, (Route, Mount)):
            if context.path not in FRAMEWORK_PATHS:
                missing.append(f"(not an API route) {context.path}")
        else:
            missing.append(f"(unknown route type) {route!r}")
    return missing


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(environment="test", database_url="postgresql://unused@127.0.0.1:1/none",
                               _env_file=None))


def test_every_route_declares_its_permission(app: FastAPI) -> None:
    assert undeclared(app) == []
    assert len(list(api_routes(app))) >= 150  # the walk saw the whole table


def test_a_route_without_a_permission_is_found(app: FastAPI) -> None:
    router = APIRouter()

    @router.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    @router.get("/api/declared", dependencies=[Public])
    def declared() -> dict[str, str]:
        return {}

    @router.get("/api/admins")
    def admins(actor: Admin) -> dict[str, str]:
        return {}

    tiny = FastAPI()
    tiny.include_router(router)
    assert undeclared(tiny) == ["GET /api/forgotten"]
    assert [r.path for r in api_routes(tiny) if permissions_of(r)] == [
        "/api/declared", "/api/admins"]


def test_layer_permissions_are_the_layer_dependencies(app: FastAPI) -> None:
    """The feature routes read and write through ``ReadableLayer``/``WritableLayer`` (not by hand)."""
    readable = ReadableLayer.__metadata__[0].dependency
    writable = WritableLayer.__metadata__[0].dependency
    by_route = {(m, r.path): permissions_of(r) for r in api_routes(app) for m in r.methods}
    assert readable in by_route[("GET", "/api/layers/{layer}/features")]
    assert readable in by_route[("GET", "/api/layers/{layer}/features/{feature_id}/history")]
    assert readable in by_route[("GET", "/tiles/{layer}/{z}/{x}/{y}.pbf")]
    for method in ("POST",):
        assert writable in by_route[(method, "/api/layers/{layer}/features")]
    for method in ("PUT", "PATCH", "DELETE"):
        assert writable in by_route[(method, "/api/layers/{layer}/features/{feature_id}")]


def _run(coroutine: Any) -> Any:
    """Run a coroutine in a thread of its own (a browser test earlier in the run may leave this thread
    an event loop, where ``asyncio.run`` is refused)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_require_roles_refuses_the_others() -> None:
    check = RequireRoles(ADMIN, "case_worker", message="只有……")
    assert _run(check(Actor("a", frozenset({"case_worker"})))).name == "a"
    with pytest.raises(Forbidden) as refused:
        _run(check(Actor("b", frozenset({"viewer"}))))
    assert refused.value.message == "只有……"



def test_tiles_of_households_only_for_the_case_office(client_as: Any) -> None:
    """Both tile routes refuse a role that may not read the layer; the OGC one calls the other's function,
    so it checks itself (a dependency runs only for the route that declares it). An admin reads no
    household unless also in the case office (issue 14).
    """
    paths = ("/tiles/households/10/861/384.pbf", "/ogc/collections/households/tiles/WebMercatorQuad/10/384/861")
    for username in ("viewer", "admin"):
        for path in paths:
            refused = client_as(username).get(path)
            assert (refused.status_code, refused.json()["message"]) == (403, "您无权查看图层“困难群众户”"), path
    for path in paths:
        assert client_as("case_worker").get(path).status_code == 200, path
    assert client_as("viewer").get("/api/layers/households/export").status_code == 403


def test_fixed_layer_and_role_refusals_keep_their_words(client_as: Any) -> None:
    """The refusals read as before the checks became dependencies, whatever the body holds."""
    viewer = client_as("viewer")
    cases = [
        ("post", "/api/place-names/1/approve", {}, "您无权修改地名"),
        ("post", "/api/siting/graves/1/status", {"status": []}, "您无权修改图层“散坟”"),
        ("post", "/api/inspections/campaigns", {"name": 1}, "只有界线测绘人员可以执行此操作"),
        ("put", "/api/coverage/parameters", {"walking": 1}, "只有系统管理员可以执行此操作"),
        ("post", "/api/coverage/child-welfare/officers", {}, "只有社会救助经办人员可以登记儿童福利工作人员"),
        ("post", "/api/layers/households/imports/1/commit", None, "您无权向图层“困难群众户”导入数据"),
    ]
    for method, path, body, message in cases:
        refused = getattr(viewer, method)(path, json=body)
        assert (refused.status_code, refused.json()["message"]) == (403, message), path


# --- no permission checked by hand -------------------------------------------------------------------
ROUTE_MODULES = sorted([*Path("gis_server/routers").glob("*.py"), *Path("gis_server/ogc").glob("*.py"),
                        Path("gis_server/jobs/api.py")])
CHECKS = {"require_read", "require_write", "require_admin"}
# the checks that depend on the request itself, so no dependency can make them (each with its reason)
BY_HAND = {
    ("gis_server/routers/features.py", "get_one"): "reveal=true asks for more than reading the layer",
    ("gis_server/routers/exports.py", "export"): "reveal=true asks for more than reading the layer",
    ("gis_server/routers/coverage.py", "officers"): "reveal=true asks for more than reading the officers",
    ("gis_server/routers/system.py", "admin_or_this_machine"): "an admin, or a request from this machine",
    ("gis_server/routers/pages.py", "__call__"): "PageLayer: the pages' dependency itself",
}


def _is_check(node: ast.AST) -> bool:
    """A refusal written out: ``raise Forbidden(…)``, ``require_read/_write/_admin(…)``, ``page_error(403, …)``."""
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
        return isinstance(node.exc.func, ast.Name) and node.exc.func.id == "Forbidden"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in CHECKS:
            return True
        first = node.args[0] if node.args else None
        return node.func.id == "page_error" and isinstance(first, ast.Constant) and first.value == 403
    return False


def hand_checks(source: str, path: str) -> set[tuple[str, str]]:
    """(path, function) of every function of a module that refuses by hand."""
    found = set()
    for function in ast.walk(ast.parse(source)):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(_is_check(node) for node in ast.walk(function)):
                found.add((path, function.name))
    return found


def test_no_route_module_checks_a_permission_by_hand() -> None:
    found = set().union(*(hand_checks(module.read_text(encoding="utf-8"), str(module)) for module in ROUTE_MODULES))
    assert found == set(BY_HAND)


def test_a_hand_check_left_is_found() -> None:
    source = (
        "def feature_page(spec, actor):\n"
        "    if not spec.can_read(actor.roles):\n"
        "        return page_error(403, '您无权查看')\n"
        "def create(spec, actor):\n"
        "    require_write(spec, actor)\n"
        "def _uncovered(spec, actor):\n"
        "    if not spec.can_read(actor.roles):\n"
        "        raise Forbidden('您无权查看困难群众户名单', 'no')\n"
        "def fine(spec, actor):\n"
        "    return page_error(404, '没有')\n")
    assert hand_checks(source, "m.py") == {("m.py", "feature_page"), ("m.py", "create"), ("m.py", "_uncovered")}


def test_the_ogc_edits_refuse_before_reading_the_body(client_as: Any) -> None:
    """A 403 before any 422: a caller without the right learns nothing of the body's shape."""
    viewer = client_as("viewer")
    items = "/ogc/collections/shelters/items"
    for method, path, body in (("post", items, {"type": "nonsense"}), ("put", items + "/1", [1]),
                               ("patch", items + "/1", {"geometry": 5, "extra": []}), ("delete", items + "/1", None)):
        refused = viewer.request(method.upper(), path, json=body)
        assert (refused.status_code, refused.json()["message"]) == (403, "您无权修改图层“应急避难场所”"), method
    refused = viewer.get("/ogc/collections/households/items?limit=0")  # limit=0 alone would be a 422
    assert (refused.status_code, refused.json()["message"]) == (403, "您无权查看图层“困难群众户”")


def test_the_pages_declare_their_layer_and_answer_as_pages(client_as: Any, anonymous: Any) -> None:
    """The feature page and the import page: sign-in redirect, 404/403 pages, or the import list."""
    for path in ("/features/shelters/1", "/imports/shelters", "/imports"):
        signed_out = anonymous.get(path, follow_redirects=False)
        assert (signed_out.status_code, signed_out.headers["location"]) == (303, f"/login?next={path}")
    viewer = client_as("viewer")
    refused = viewer.get("/features/households/1")
    assert refused.status_code == 403 and "<h1>您无权查看图层“困难群众户”</h1>" in refused.text
    unknown = viewer.get("/features/nope/1")
    assert unknown.status_code == 404 and "<h1>没有名为“nope”的图层</h1>" in unknown.text
    assert viewer.get("/features/shelters/1").status_code == 200
    listed = viewer.get("/imports/households")  # not theirs to write: the list of what they may import into
    assert listed.status_code == 200 and "<title>导入数据 — 海城民政一张图</title>" in listed.text
    own = client_as("case_worker").get("/imports/households")
    assert own.status_code == 200 and "<title>导入数据：困难群众户 — 海城民政一张图</title>" in own.text
