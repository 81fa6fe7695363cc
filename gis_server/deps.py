"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from gis_server.db import Database
from gis_server.settings import Settings
from layers.catalog import registry
from layers.errors import NotFound
from layers.features import Actor
from layers.registry import LayerSpec
from layers.roles import ADMIN


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_layer(layer: Annotated[str, Path(description="图层名（英文），见 GET /api/layers")]) -> LayerSpec:
    spec = registry().get(layer)
    if spec is None:
        raise NotFound(f"没有名为“{layer}”的图层", f"unknown layer {layer!r}", layer=layer)
    return spec


def get_current_actor(request: Request) -> Actor:
    """The acting user. Until accounts exist, the configured development user with every right."""
    settings: Settings = request.app.state.settings
    client = request.client.host if request.client else None
    return Actor(name=settings.dev_user, roles=frozenset({ADMIN}), address=client)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbDep = Annotated[Database, Depends(get_db)]
LayerDep = Annotated[LayerSpec, Depends(get_layer)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]
