"""OGC API – Features (Parts 1–4) and Tiles under ``/ogc``: the standard face of the feature store."""

from __future__ import annotations

from fastapi import APIRouter

from gis_server.ogc import core, edit, tiles


def router() -> APIRouter:
    out = APIRouter()
    out.include_router(core.router)
    out.include_router(edit.router)
    out.include_router(tiles.router)
    return out
