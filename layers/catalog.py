"""The registry of every layer of the system, built on demand (nothing happens at import)."""

from __future__ import annotations

from functools import cache

from layers import admin_units, boundaries, cemeteries, community_services, constraints, facilities, households
from layers.gazetteer import declaration as place_names
from layers.registry import LayerRegistry

THEMES = ("行政区划", "地名", "界线界桩", "应急避难场所", "养老与福利设施", "城乡社区服务", "公墓与散坟",
          "三沿六区约束", "困难群众户")


@cache
def registry() -> LayerRegistry:
    specs = [
        *admin_units.LAYERS, *place_names.LAYERS, *boundaries.LAYERS, *facilities.LAYERS, *community_services.LAYERS,
        *cemeteries.LAYERS, *households.LAYERS, *constraints.LAYERS,
    ]
    return LayerRegistry(specs)
