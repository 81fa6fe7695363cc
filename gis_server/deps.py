"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool

from gis_server.accounts.cache import Account, AccountCache, cache_key, read_account
from gis_server.accounts.security import csrf_matches, read_token
from gis_server.accounts.service import actor_for
from gis_server.db import Database, serving
from gis_server.settings import Settings
from layers.catalog import registry
from layers.errors import Forbidden, NotFound, Unauthenticated
from layers.registry import LayerSpec
from layers.roles import ADMIN, Actor

SESSION_COOKIE = "gis_session"
CSRF_COOKIE = "gis_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# Trivial dependencies are async so they do not each take a trip through the thread pool.
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_layer(layer: Annotated[str, Path(description="图层名（英文），见 GET /api/layers")]) -> LayerSpec:
    spec = registry().get(layer)
    if spec is None:
        raise NotFound(f"没有名为“{layer}”的图层", f"unknown layer {layer!r}", layer=layer)
    return spec


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def credentials(request: Request) -> tuple[str, bool] | None:
    """(token, from_cookie) from the Authorization header or the session cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else None


async def get_current_actor(request: Request) -> Actor:
    """The signed-in user (Bearer token or session cookie) of a session not logged out; writes by
    cookie need the CSRF token of that very session (an HMAC of its id, see ``csrf_token``).

    Async, so a user found in the account cache costs no trip through the thread pool; the database
    is read in the pool when the cache has no answer. The cache forgets a session as soon as it is
    revoked anywhere (NOTIFY), so no process keeps a stale answer.
    """
    settings: Settings = request.app.state.settings
    found_credentials = credentials(request)
    if found_credentials is None:
        raise Unauthenticated("请先登录", "authentication required")
    token, from_cookie = found_credentials
    claims = read_token(settings.secret_key, token)
    serving(claims.username)  # reads after this user's own writes go to the primary (db.Database)
    if from_cookie and request.method not in SAFE_METHODS and not csrf_matches(
            settings.secret_key, claims.session_id, request.headers.get(CSRF_HEADER)):
        raise Forbidden("缺少或错误的 CSRF 令牌，请刷新页面后重试", "CSRF token missing or wrong")

    def load() -> Account | None:
        db: Database = request.app.state.db
        with db.read() as conn:
            return read_account(conn, claims.username, claims.session_id)

    accounts: AccountCache = request.app.state.accounts
    key = cache_key(claims.username, claims.session_id)
    found, account = accounts.cached(key)
    if not found:
        account = await run_in_threadpool(accounts.get, key, load)
    return actor_for(account, claims.username, client_address(request), claims.issued_at)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbDep = Annotated[Database, Depends(get_db)]
LayerDep = Annotated[LayerSpec, Depends(get_layer)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]


# --- permissions -----------------------------------------------------------------------------
# Every route declares who may call it with one of these dependencies (tests/gis_server/
# test_route_permissions.py walks the route table): RequireRoles(...), ReadableLayer, WritableLayer,
# Authenticated (any signed-in user: CurrentActor) or Public (no sign-in: login, health, assets).
# A refusal is raised before the body is validated: a caller without the right learns nothing from a 422.

READ_REFUSAL = "您无权查看图层“{title}”"
WRITE_REFUSAL = "您无权修改图层“{title}”"


def require_read(spec: LayerSpec, actor: Actor, refusal: str = READ_REFUSAL) -> None:
    """403 unless ``actor`` may read ``spec`` (issue 14: an admin reads no household unless also case_worker);
    ``refusal`` words it (``{title}`` is the layer's title).
    """
    if not spec.can_read(actor.roles):
        raise Forbidden(refusal.format(title=spec.title), f"no read permission on {spec.name}")


def require_write(spec: LayerSpec, actor: Actor, refusal: str = WRITE_REFUSAL) -> None:
    """403 unless ``actor`` may write ``spec``; ``refusal`` words it (``{title}`` is the layer's title)."""
    if not spec.can_write(actor.roles):
        raise Forbidden(refusal.format(title=spec.title), f"no write permission on {spec.name}")


class LayerAccess:
    """The layer named in the path, if the signed-in user may read it (or write it). An unknown
    layer is a 404 before any permission is looked at, as it always was: layer names are public.
    """

    def __init__(self, *, write: bool, refusal: str = WRITE_REFUSAL) -> None:
        self.write = write
        self.refusal = refusal

    async def __call__(self, spec: LayerDep, actor: CurrentActor) -> LayerSpec:
        if self.write:
            require_write(spec, actor, self.refusal)
        else:
            require_read(spec, actor)
        return spec


class LayerWriter:
    """The signed-in user, if they may write a fixed layer (one not named in the path: the scattered
    graves of the siting routes, the place names); ``refusal`` words the refusal as in ``require_write``.
    """

    def __init__(self, layer: str, *, refusal: str = WRITE_REFUSAL) -> None:
        self.layer = layer
        self.refusal = refusal

    def spec(self) -> LayerSpec:
        spec = registry().get(self.layer)
        assert spec is not None, self.layer
        return spec

    def check(self, actor: Actor) -> Actor:
        """The check itself, for the route whose refusal depends on the request (an import's commit)."""
        require_write(self.spec(), actor, self.refusal)
        return actor

    async def __call__(self, actor: CurrentActor) -> Actor:
        return self.check(actor)


class LayerReader(LayerWriter):
    """The signed-in user, if they may read a fixed layer (the households behind coverage's lists)."""

    def __init__(self, layer: str, *, refusal: str = READ_REFUSAL) -> None:
        super().__init__(layer, refusal=refusal)

    def check(self, actor: Actor) -> Actor:
        require_read(self.spec(), actor, self.refusal)
        return actor


class RequireRoles:
    """The signed-in user, if they hold any of ``roles``; otherwise 403 with ``message``."""

    def __init__(self, *roles: str, message: str) -> None:
        self.roles = frozenset(roles)
        self.message = message

    async def __call__(self, actor: CurrentActor) -> Actor:
        if not actor.has_role(*self.roles):
            raise Forbidden(self.message, f"one of the roles {sorted(self.roles)} required")
        return actor


ADMIN_ONLY = "只有系统管理员可以执行此操作"


def require_admin(actor: Actor) -> None:
    """For the one route whose check depends on the caller's address (``/metrics``: admin, or this machine)."""
    if not actor.has_role(ADMIN):
        raise Forbidden(ADMIN_ONLY, "admin role required")


async def public() -> None:
    """Marks a route anyone may call without signing in (login, health, static assets)."""


ReadableLayer = Annotated[LayerSpec, Depends(LayerAccess(write=False))]
WritableLayer = Annotated[LayerSpec, Depends(LayerAccess(write=True))]
Authenticated = CurrentActor
Public = Depends(public)
Admin = Annotated[Actor, Depends(RequireRoles(ADMIN, message=ADMIN_ONLY))]
