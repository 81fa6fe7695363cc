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


def require_admin(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden("只有系统管理员可以执行此操作", "admin role required")


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbDep = Annotated[Database, Depends(get_db)]
LayerDep = Annotated[LayerSpec, Depends(get_layer)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]
