"""Settings of the web map (prefix ``GIS_MAP_``; the 天地图 key is ``GIS_TIANDITU_KEY``).

Basemap ``auto`` (the default) means: 天地图 vector when a key is configured, the configured
XYZ URL when there is one, otherwise the built-in basemap drawn by the service from its own layers
(``/basemap/{z}/{x}/{y}.png``, gis_server.routers.basemap) — the map works on an isolated network.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                "&TILECOL={x}&tk={key}")
TIANDITU_SUBDOMAINS = "01234567"
Basemap = Literal["auto", "none", "builtin", "tianditu_vec", "tianditu_img", "xyz"]
BUILTIN: dict[str, object] = {"id": "builtin", "title": "本地底图（离线）",
           "layers": [{"url": "/basemap/{z}/{x}/{y}.png", "subdomains": "abc", "attribution": "本系统数据"}]}


class MapSettings(BaseSettings):
    """What the map page shows before the user changes anything."""

    model_config = SettingsConfigDict(env_prefix="GIS_MAP_", env_file=".env", extra="ignore",
                                      populate_by_name=True)

    basemap: Basemap = Field(default="auto", description="auto | none | builtin | tianditu_vec | tianditu_img | xyz")
    tianditu_key: str | None = Field(
        default=None, validation_alias=AliasChoices("GIS_TIANDITU_KEY", "tianditu_key"),
        description="天地图浏览器端密钥 (tk); without it no 天地图 basemap is offered.")
    xyz_url: str | None = Field(default=None, description="An XYZ tile URL template ({z}/{x}/{y}).")
    xyz_attribution: str = "底图"
    center_lon: float = 122.73
    center_lat: float = 40.85
    zoom: int = 10
    max_zoom: int = 18
    bbox_debounce_ms: int = Field(default=250, description="Wait after a pan/zoom before reloading layers.")
    bbox_limit: int = Field(default=2000, description="Features per small layer and view (the API caps it).")

    @model_validator(mode="after")
    def _check(self) -> MapSettings:
        if self.basemap.startswith("tianditu") and not self.tianditu_key:
            raise ValueError("GIS_MAP_BASEMAP=tianditu_* needs GIS_TIANDITU_KEY")
        if self.basemap == "xyz" and not self.xyz_url:
            raise ValueError("GIS_MAP_BASEMAP=xyz needs GIS_MAP_XYZ_URL")
        if not 0 < self.zoom <= self.max_zoom <= 22:
            raise ValueError("need 0 < GIS_MAP_ZOOM <= GIS_MAP_MAX_ZOOM <= 22")
        return self

    def basemaps(self) -> list[dict[str, object]]:
        """The basemaps the user can pick from, the default first; each is one or two tile layers."""
        options: list[dict[str, object]] = [{"id": "none", "title": "无底图", "layers": []}, BUILTIN]
        if self.tianditu_key:
            for layer, labels, title in (("vec", "cva", "天地图矢量"), ("img", "cia", "天地图影像")):
                options.append({"id": f"tianditu_{layer}", "title": title, "layers": [
                    {"url": TIANDITU_URL.replace("{layer}", name).replace("{key}", self.tianditu_key),
                     "subdomains": TIANDITU_SUBDOMAINS, "attribution": "© 天地图"} for name in (layer, labels)]})
        if self.xyz_url:
            options.append({"id": "xyz", "title": self.xyz_attribution,
                            "layers": [{"url": self.xyz_url, "subdomains": "abc",
                                        "attribution": self.xyz_attribution}]})
        default = self.default_basemap()
        return sorted(options, key=lambda b: b["id"] != default)

    def default_basemap(self) -> str:
        if self.basemap != "auto":
            return self.basemap
        if self.tianditu_key:
            return "tianditu_vec"
        return "xyz" if self.xyz_url else "builtin"


def get_map_settings() -> MapSettings:
    return MapSettings()
