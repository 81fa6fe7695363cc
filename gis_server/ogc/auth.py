"""Who calls the OGC API: the service's bearer token or session, or HTTP Basic over the same accounts.

Desktop GIS clients (QGIS, ArcGIS, GDAL) are configured with a user name and password: each Basic
request is a sign-in through ``accounts.service.authenticate``, so the same login throttle counts its
failures (GB/T 22239-2019 §8.1.4.1 b) and the same audit log records it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from gis_server.accounts.service import authenticate
from gis_server.deps import client_address, get_current_actor
from gis_server.routers.auth import throttle_of
from layers.errors import Unauthenticated
from layers.roles import Actor

REALM = 'Basic realm="haicheng-gis", charset="UTF-8"'


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
    return await run_in_threadpool(authenticate, app.state.db, found[0].strip(), found[1],
                                   client_address(request), throttle_of(app.state.settings))


OgcActor = Annotated[Actor, Depends(ogc_actor)]
