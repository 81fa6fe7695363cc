"""Sign-in: API tokens (OAuth2 password form) and web sessions (HttpOnly cookie + CSRF token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import text

from gis_server.accounts.security import issue_token, new_csrf_token
from gis_server.accounts.service import Throttle, authenticate
from gis_server.deps import CSRF_COOKIE, SESSION_COOKIE, CurrentActor, DbDep, SettingsDep
from gis_server.settings import Settings
from layers.errors import DomainError
from layers.features import Actor
from layers.roles import ROLE_TITLES

router = APIRouter(prefix="/api/auth", tags=["登录 auth"])


def _sign_in(request: Request, db: Any, settings: Settings, username: str, password: str) -> tuple[Actor, str]:
    """The user and a token, dated by the database's clock as password changes are (no clock skew)."""
    client = request.client.host if request.client else None
    throttle = Throttle(settings.login_free_failures, settings.login_max_delay_seconds)
    failure: DomainError | None = None
    with db.transaction() as conn:  # failures are committed (counted and audited), then raised
        try:
            actor = authenticate(conn, username.strip(), password, client, throttle)
            issued_at = conn.execute(text("SELECT floor(extract(epoch FROM now()))::bigint")).scalar_one()
        except DomainError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return actor, issue_token(settings.secret_key, actor.name, settings.token_ttl_minutes * 60, issued_at)


@router.post("/token", summary="获取访问令牌（OAuth2 密码模式）")
def token(request: Request, db: DbDep, settings: SettingsDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()]) -> dict[str, Any]:
    _, access_token = _sign_in(request, db, settings, username, password)
    return {"access_token": access_token, "token_type": "bearer", "expires_in": settings.token_ttl_minutes * 60}


@router.post("/session", summary="网页登录（设置会话 Cookie 与 CSRF 令牌）")
def session(request: Request, response: Response, db: DbDep, settings: SettingsDep,
            username: Annotated[str, Form()], password: Annotated[str, Form()]) -> dict[str, Any]:
    actor, token = _sign_in(request, db, settings, username, password)
    ttl = settings.token_ttl_minutes * 60
    secure = settings.environment == "production"
    csrf = new_csrf_token()
    response.set_cookie(SESSION_COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=ttl, httponly=False, samesite="strict", secure=secure)
    return {"username": actor.name, "roles": sorted(actor.roles), "csrf_token": csrf}


@router.delete("/session", status_code=204, summary="退出登录")
def logout(response: Response) -> Response:
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/me", summary="当前用户")
def me(actor: CurrentActor) -> dict[str, Any]:
    return {"username": actor.name, "roles": sorted(actor.roles),
            "role_titles": [ROLE_TITLES.get(r, r) for r in sorted(actor.roles)]}
