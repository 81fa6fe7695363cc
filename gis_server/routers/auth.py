"""Sign-in: API tokens (OAuth2 password form) and web sessions (HttpOnly cookie + CSRF token); logout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from gis_server.accounts.security import csrf_token, issue_token, read_token
from gis_server.accounts.service import authenticate
from gis_server.accounts.sessions import revoke_session, start_session
from gis_server.accounts.throttle import Rule, Throttle
from gis_server.db import Database
from gis_server.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentActor,
    DbDep,
    Public,
    SettingsDep,
    client_address,
    credentials,
)
from gis_server.routers.login import local_next
from gis_server.settings import Settings
from layers import audit
from layers.errors import Unauthenticated
from layers.roles import ROLE_TITLES, Actor

router = APIRouter(prefix="/api/auth", tags=["登录 auth"])


def throttle_of(settings: Settings) -> Throttle:
    return Throttle(account=Rule(settings.login_free_failures, settings.login_max_delay_seconds),
                    address=Rule(settings.login_address_free_failures, settings.login_max_delay_seconds),
                    forget_after_seconds=settings.login_forget_after_seconds)


def _sign_in(request: Request, db: Database, settings: Settings, username: str, password: str,
             kind: str) -> tuple[Actor, str, str]:
    """The user, a token of a new server-side session, and that session's id."""
    client = client_address(request)
    actor = authenticate(db, username.strip(), password, client, throttle_of(settings))
    ttl = settings.token_ttl_minutes * 60
    with db.transaction() as conn:
        session = start_session(conn, actor.name, kind, client, ttl)
    token = issue_token(settings.secret_key, actor.name, ttl, session.issued_at, session.session_id)
    return actor, token, session.session_id


@router.post("/token", summary="获取访问令牌（OAuth2 密码模式）", dependencies=[Public])
def token(request: Request, db: DbDep, settings: SettingsDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()]) -> dict[str, Any]:
    _, access_token, _ = _sign_in(request, db, settings, username, password, "token")
    return {"access_token": access_token, "token_type": "bearer", "expires_in": settings.token_ttl_minutes * 60}


@router.post("/session", summary="网页登录（设置会话 Cookie 与 CSRF 令牌）", dependencies=[Public])
def session(request: Request, response: Response, db: DbDep, settings: SettingsDep,
            username: Annotated[str, Form()], password: Annotated[str, Form()],
            next: Annotated[str | None, Form(description="登录后要打开的本站页面（路径）")] = None) -> dict[str, Any]:
    """Sets the cookies; ``next`` in the answer is the page to open: the one asked for when it is a
    path of this site, else ``/`` (see ``local_next``).
    """
    actor, token, session_id = _sign_in(request, db, settings, username, password, "session")
    ttl = settings.token_ttl_minutes * 60
    secure = settings.environment == "production"
    csrf = csrf_token(settings.secret_key, session_id)  # the page's scripts read it from this cookie
    response.set_cookie(SESSION_COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=ttl, httponly=False, samesite="strict", secure=secure)
    return {"username": actor.name, "roles": sorted(actor.roles), "csrf_token": csrf, "next": local_next(next)}


@router.delete("/session", status_code=204, summary="退出登录（网页会话或访问令牌）", dependencies=[Public])
@router.delete("/token", status_code=204, summary="退出登录（吊销访问令牌）", dependencies=[Public])
def logout(request: Request, response: Response, db: DbDep, settings: SettingsDep) -> Response:
    """End the session of the presented cookie or Bearer token on the server; the token stops working
    everywhere at once. No CSRF token is asked for: a forged logout can only take access away.
    """
    found = credentials(request)
    if found is not None:
        try:
            claims = read_token(settings.secret_key, found[0])
        except Unauthenticated:
            claims = None  # expired or not ours: nothing to end
        if claims is not None:
            client = client_address(request)
            with db.transaction() as conn:
                if revoke_session(conn, claims, "session" if found[1] else "token", client):
                    audit.record(conn, None, "logout", username=claims.username, address=client,
                                 session=claims.session_id)
            # this process forgets at once (a token reused right after logout must not find it
            # cached); the others when the revocation's notification reaches them
            request.app.state.accounts.invalidate()
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/me", summary="当前用户")
def me(actor: CurrentActor) -> dict[str, Any]:
    return {"username": actor.name, "roles": sorted(actor.roles),
            "role_titles": [ROLE_TITLES.get(r, r) for r in sorted(actor.roles)]}
