"""The short way through the server for a vector tile whose caller is known (issue 21).

A map asks for tiles by the dozen, and a tile from the cache is a few hundred microseconds of work;
FastAPI's request handling around it (matching, the dependencies solved, the request and response
objects) cost as much again. :class:`TileFastPath` sits in front of the route table and answers
``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` itself when the route would: a known layer, a signed-in caller
(:func:`gis_server.deps.get_current_actor`, from the account cache) who may read it. It then runs the
route's own code (:func:`gis_server.routers.tiles.read_tile`: tile numbers
checked, masks and row filter, the audit record committed before the answer) and writes the route's
answer (:func:`gis_server.routers.tiles.tile_answer`). Anything else — an unknown layer, no or a refused
session, no read permission, a HEAD, a path spelt otherwise, an app with dependencies overridden
(tests) other than the signed-in user's — goes on to the route, which refuses or
answers as it does for every other request, so there is one place for each rule and each error. The route
stays in the route table (documented in OpenAPI, its permission declared: ``ReadableLayer``).

It sits inside the app's middleware (request id, metrics, slow-request log, error handlers), which see
these requests as any other.
"""

from __future__ import annotations

import inspect
import re

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from gis_server.deps import get_current_actor
from gis_server.routers.tiles import MVT, read_tile, tile_answer, tile_reads
from layers.catalog import registry
from layers.errors import DomainError
from layers.roles import Actor

# the route's path with its integer parameters; leading zeros and other spellings the route accepts go to it
TILE_PATH = re.compile(r"/tiles/([a-z][a-z0-9_]*)/([0-9]{1,2})/([0-9]{1,8})/([0-9]{1,8})\.pbf")


class TileFastPath:
    """ASGI app wrapping the router (``app.router``): answers the tiles it can, passes on the rest."""

    def __init__(self, app: ASGIApp, route: BaseRoute) -> None:
        self.app = app
        self.route = route  # the tile route: what the request log and metrics name these requests by
        self.answered = 0  # tiles answered here (tests check that the short way is taken)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = TILE_PATH.fullmatch(scope["path"])
            if match and await self._answer(scope, send, match):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send, match: re.Match[str]) -> bool:
        """Answer the tile and True, or False (nothing sent) for the route to answer it."""
        request = Request(scope)
        spec = registry().get(match[1])
        if spec is None or request.app.dependency_overrides.keys() - {get_current_actor}:
            return False
        try:
            actor = await _signed_in(request)
        except DomainError:  # the route refuses, in its words
            return False
        if not spec.can_read(actor.roles):
            return False
        scope["route"] = self.route
        state = request.app.state
        tile = await read_tile(state.db, state.tiles, tile_reads(state), spec, actor,
                               int(match[2]), int(match[3]), int(match[4]))
        status, headers, body = tile_answer(tile, request.headers.get("if-none-match", ""))
        raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        if status == 200:
            raw += [(b"content-type", MVT.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
        self.answered += 1
        return True


async def _signed_in(request: Request) -> Actor:
    """The route's ``CurrentActor``: :func:`get_current_actor`, or the stand-in a test put in its place
    (``app.dependency_overrides``, a function of no arguments), so the tile tests take this way too.
    """
    stand_in = request.app.dependency_overrides.get(get_current_actor)
    if stand_in is None:
        return await get_current_actor(request)
    actor = stand_in()
    return await actor if inspect.isawaitable(actor) else actor
