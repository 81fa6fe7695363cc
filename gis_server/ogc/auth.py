"""Who calls the OGC API: the service's bearer token or session, or HTTP Basic over the same accounts.

Desktop GIS clients (QGIS, ArcGIS, GDAL) are configured with a user name and password and send them
with every request (each page of a layer). A pair not yet seen is a sign-in through
``accounts.service.authenticate``: the same login throttle counts its failures (GB/T 22239-2019
§8.1.4.1 b) and the audit log records it. A pair that signed in is then kept in the account cache under a
keyed hash of the password (never the password): the cache forgets it at any change of the account
(password, roles, disabled: PostgreSQL's notification) and after a minute, so a page costs no Argon2
check and no audit entry of its own, and a changed password or role counts from the next request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from gis_server.accounts.cache import Account, AccountCache
from gis_server.accounts.service import actor_for, authenticate
from gis_server.deps import LayerAccess, LayerDep, client_address, get_current_actor
from gis_server.routers.auth import throttle_of
from layers.errors import Unauthenticated
from layers.registry import LayerSpec
from layers.roles import Actor


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        username, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Basic 认证信息格式错误", "malformed Basic credentials") from None
    return username, password


async def ogc_actor(request: Request) -> Actor:
    found = basic_credentials(request)
    if found is None:
        return await get_current_actor(request)
    app = request.app
    username, password = found[0].strip(), found[1]
    secret = app.state.settings.secret_key.encode()
    key = "basic\0" + username + "\0" + hmac.new(secret, f"ogc-basic\0{username}\0{password}".encode(),
                                                  hashlib.sha256).hexdigest()
    accounts: AccountCache = app.state.accounts
    hit, account = accounts.cached(key)
    if hit:
        return actor_for(account, username, client_address(request))
    actor = await run_in_threadpool(authenticate, app.state.db, username, password, client_address(request),
                                    throttle_of(app.state.settings))
    accounts.get(key, lambda: Account(disabled=False, roles=actor.roles, password_changed_at=0.0))
    return actor


OgcActor = Annotated[Actor, Depends(ogc_actor)]


class OgcLayerAccess(LayerAccess):
    """``LayerAccess`` for the OGC caller (Basic or Bearer): a dependency, so the 403 comes before the
    body is looked at (a caller without the right learns nothing of its shape from a 422).
    """

    async def __call__(self, spec: LayerDep, actor: OgcActor) -> LayerSpec:
        return await super().__call__(spec, actor)


OgcReadableLayer = Annotated[LayerSpec, Depends(OgcLayerAccess(write=False))]
OgcWritableLayer = Annotated[LayerSpec, Depends(OgcLayerAccess(write=True))]
