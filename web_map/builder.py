"""Map builders: take layer metadata and settings, return a folium map. No database here.

Every script and stylesheet the page loads is served by this app (``/static/...``): folium's
CDN defaults are replaced in :class:`HaichengMap`. Features are never embedded: the browser asks
the API for them (GeoJSON by viewport for small layers, vector tiles for large ones).

>>> from web_map.settings import MapSettings
>>> html = render_map_page([], MapSettings(_env_file=None), themes=["行政区划"])
>>> "https://" in html, '<html lang="zh-CN">' in html
(False, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

from layers.geometry import HAICHENG_EXTENT
from web_map.settings import MapSettings

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_URL = "/static"
VENDOR_URL = f"{STATIC_URL}/vendor"
# the vendored libraries the pages load, named once (web_map/assets.py installs them from npm)
LEAFLET_CSS = f"{VENDOR_URL}/leaflet/leaflet.css"
LEAFLET_JS = f"{VENDOR_URL}/leaflet/leaflet.js"
PROJ4_JS = f"{VENDOR_URL}/proj4/proj4.js"
GEOMAN_CSS = f"{VENDOR_URL}/geoman/leaflet-geoman.css"
GEOMAN_JS = f"{VENDOR_URL}/geoman/leaflet-geoman.js"
VECTORGRID_JS = f"{VENDOR_URL}/vectorgrid/Leaflet.VectorGrid.bundled.min.js"
PAGE_TITLE = "海城民政一张图"

# EPSG:4550 CGCS2000 / 3-degree Gauss-Kruger CM 123E (DOMAIN.md §2), for proj4js in the browser
EPSG_4550 = "+proj=tmerc +lat_0=0 +lon_0=123 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"

# categorical colours (Tableau 10): ten hues that stay apart on white, on imagery and as 3-px dots;
# the first one is a calm blue, so the most common category does not paint the county red
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#79706e")
OWN_JS = ("hc-core.js", "hc-style.js", "hc-exports.js", "hc-layers.js", "hc-edit.js", "hc-tools.js", "hc-search.js",
          "hc-print.js", "hc-app.js")
# labels of administrative units (polygons of the first theme): by rank in the theme, the zoom from
# which names are shown; ``style.label_min_zoom`` of a layer overrides it
LABEL_MIN_ZOOM = (0, 12)
LABEL_MAX_ZOOM = 18
# names of point features (shelters, care homes …) from z15: a screen then spans ≈ 4.6 km × 2.9 km
# (1280 × 800 px at 3.6 m/px, latitude 41°), where a village's few facilities stand apart; at z14 a
# town's shelters ran into each other. Layers with personal data never get labels, nor vector-tile layers
# (their names come with the built-in basemap)
POINT_LABEL_MIN_ZOOM = 15
OWN_CSS = ("hc-map.css",)
# what ``source`` (a row's provenance) means to people
SOURCE_TITLES = {"demo": "示例数据", "user": "用户录入", "import": "批量导入"}


@cache
def _version(path: Path) -> str:
    """A short content hash, so a new release never runs with a cached old script."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"


def static_url(relative: str) -> str:
    """``/static/<relative>?v=<hash>`` for our own files."""
    return f"{STATIC_URL}/{relative}?v={_version(STATIC / relative)}"


class HaichengFigure(Figure):
    """A branca Figure whose page says it is Chinese."""

    _template = Template(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
        "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
        "    {{this.header.render(**kwargs)}}\n</head>\n<body>\n    {{this.html.render(**kwargs)}}\n</body>\n"
        "<script>\n    {{this.script.render(**kwargs)}}\n</script>\n</html>\n")


class HaichengMap(folium.Map):
    """folium.Map loading Leaflet, Geoman, VectorGrid, proj4 and our modules from this server.

    No basemap by default (``tiles=None``) and ``maxZoom`` is always set (ENVIRONMENT.md: without
    it, layers that need a max zoom throw and everything after them fails to draw). The scale bar is
    added by hc-tools.js, metric only (folium's would show miles too).
    """

    default_js = [
        ("leaflet", LEAFLET_JS),
        ("leaflet_geoman", GEOMAN_JS),
        ("vectorgrid", VECTORGRID_JS),
        ("proj4", PROJ4_JS),
    ]
    default_css = [
        ("leaflet_css", LEAFLET_CSS),
        ("leaflet_geoman_css", GEOMAN_CSS),
    ]

    def __init__(self, location: Sequence[float] | None = None, *, max_zoom: int = 18, title: str = PAGE_TITLE,
                 **kwargs: Any):
        kwargs.setdefault("tiles", None)
        kwargs.setdefault("zoom_start", 10)
        super().__init__(location=location, maxZoom=max_zoom, **kwargs)
        figure = HaichengFigure(title=title)
        figure.header.add_child(Element('<link rel="icon" href="data:,">'), name="no_favicon")
        figure.add_child(self)
        self.default_js = [*self.default_js, *((f"hc_{n}", static_url(f"js/{n}")) for n in OWN_JS)]
        self.default_css = [*self.default_css, *((f"hc_{n}", static_url(f"css/{n}")) for n in OWN_CSS)]


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def render_template(template: str, **context: Any) -> str:
    """One of our page templates (autoescaped) rendered with ``context``."""
    return _templates().get_template(template).render(**context)


def base_page_config(settings: MapSettings, user: str) -> dict[str, Any]:
    """What every map page's script needs: the user, basemaps, the initial view, the EPSG:4550 definition."""
    return {"user": user, "basemaps": settings.basemaps(), "basemap": settings.default_basemap(),
            "center": [settings.center_lat, settings.center_lon], "zoom": settings.zoom,
            "maxZoom": settings.max_zoom, "epsg4550": EPSG_4550}


class MapApp(MacroElement):
    """The page around the map (toolbar, panels) and the call that starts our scripts."""

    _template = _templates().from_string("""
{% macro html(this, kwargs) %}{{ this.shell }}{% endmacro %}
{% macro script(this, kwargs) %}
HC.start({{ this._parent.get_name() }}, {{ this.config|tojson }});
{% endmacro %}""")

    def __init__(self, config: dict[str, Any], shell: str):
        super().__init__()
        self._name = "MapApp"
        self.config = config
        self.shell = Markup(shell)  # noqa: S704 - rendered by our own autoescaping template


def category_field(layer: dict[str, Any]) -> dict[str, Any] | None:
    """The field whose values get their own colours: ``style.category_field``, else the first required
    field with choices, else the first with choices.

    None when the registry style says so (``category_field`` given but empty) or when the layer is
    drawn as outlines only (polygons with ``fillOpacity`` 0, e.g. administrative units): its colour and
    weight are the registry's, a category colour would break the line hierarchy.
    """
    fields = layer.get("fields") or []
    style = layer.get("style") or {}
    wanted = style.get("category_field")
    if "category_field" in style and not wanted:
        return None
    if wanted:
        return next((f for f in fields if f["name"] == wanted), None)
    if "Polygon" in layer.get("geometry_type", "") and style.get("fillOpacity") == 0:
        return None
    with_choices = [f for f in fields if f.get("choices")]
    return next((f for f in with_choices if f.get("required")), with_choices[0] if with_choices else None)


def layer_style(layer: dict[str, Any]) -> dict[str, Any]:
    """Base style plus one colour per category (``style.categories`` overrides the palette).

    >>> s = layer_style({"geometry_type": "Point", "style": {"color": "#123456"},
    ...                  "fields": [{"name": "k", "label": "类", "choices": {"a": "甲", "b": "乙"}}]})
    >>> s["field"], [c["label"] for c in s["categories"]], s["categories"][0]["color"]
    ('k', ['甲', '乙'], '#4e79a7')
    >>> layer_style({"geometry_type": "Point", "style": {}, "fields": []})["categories"]
    []
    >>> layer_style({"geometry_type": "MultiPolygon", "style": {"color": "#555555", "fillOpacity": 0},
    ...              "fields": [{"name": "k", "label": "类", "choices": {"a": "甲"}}]})["field"] is None
    True
    """
    style = dict(layer.get("style") or {})
    field = category_field(layer)
    given = style.pop("categories", {}) or {}
    style.pop("category_field", None)
    categories = []
    if field:
        line = "LineString" in layer.get("geometry_type", "")
        base_weight = float(style.get("weight", 2))
        for i, (value, label) in enumerate(field["choices"].items()):
            entry = {"value": value, "label": label, "color": given.get(value, PALETTE[i % len(PALETTE)])}
            if line:  # the first classes (expressway, national road …) are drawn heavier
                entry["weight"] = max(1.0, base_weight + 2 - i * 0.75)
            categories.append(entry)
    array = bool(field and field.get("array"))
    note = f"颜色按第一个{field['label']}" if field and array else None
    return {"base": style, "field": field["name"] if field else None, "array": array,
            "categories": categories, "legendNote": note}


def label_zooms(layers: Sequence[dict[str, Any]], admin_theme: str | None) -> dict[str, list[int]]:
    """Layer name → [min, max] zoom of its name labels: polygons of the first theme (administrative
    units), the coarser the earlier (townships at county scale, villages from z12).

    >>> label_zooms([{"name": "a", "theme": "T", "geometry_type": "MultiPolygon", "style": {}},
    ...              {"name": "b", "theme": "T", "geometry_type": "MultiPolygon", "style": {}},
    ...              {"name": "c", "theme": "U", "geometry_type": "Point", "style": {}}], "T")
    {'a': [0, 18], 'b': [12, 18]}
    """
    out: dict[str, list[int]] = {}
    units = [layer for layer in layers if layer["theme"] == admin_theme and "Polygon" in layer["geometry_type"]]
    for rank, layer in enumerate(units):
        default = LABEL_MIN_ZOOM[min(rank, len(LABEL_MIN_ZOOM) - 1)]
        out[layer["name"]] = [int((layer.get("style") or {}).get("label_min_zoom", default)), LABEL_MAX_ZOOM]
    return out


def point_label_zooms(layers: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Layer name → [min, max] zoom of the names of its points (:data:`POINT_LABEL_MIN_ZOOM`).

    >>> point_label_zooms([{"name": "s", "geometry_type": "Point", "title_field": "name"},
    ...                    {"name": "h", "geometry_type": "Point", "title_field": "head_name", "personal": True},
    ...                    {"name": "g", "geometry_type": "Point", "title_field": "name", "large": True},
    ...                    {"name": "r", "geometry_type": "MultiLineString", "title_field": "name"}])
    {'s': [15, 18]}
    """
    return {layer["name"]: [POINT_LABEL_MIN_ZOOM, LABEL_MAX_ZOOM] for layer in layers
            if layer["geometry_type"] == "Point" and layer.get("title_field")
            and not layer.get("personal") and not layer.get("large")}


def map_config(layers: Sequence[dict[str, Any]], settings: MapSettings, themes: Sequence[str],
               user: str | None = None) -> dict[str, Any]:
    """Everything the scripts need to start, as JSON: metadata only, never features."""
    readable = [layer for layer in layers if layer.get("permissions", {}).get("read")]
    labels = {**point_label_zooms(readable), **label_zooms(readable, themes[0] if themes else None)}
    out_layers = []
    for layer in readable:
        out_layers.append({
            "name": layer["name"], "title": layer["title"], "theme": layer["theme"],
            "geometry_type": layer["geometry_type"], "large": bool(layer.get("large")),
            "write": bool(layer.get("permissions", {}).get("write")), "title_field": layer.get("title_field"),
            "fields": [{k: f.get(k) for k in ("name", "label", "choices", "unit", "array", "notice")}
                       for f in layer.get("fields") or []],
            "style": layer_style(layer), "personal": bool(layer.get("personal")),
            "labels": labels.get(layer["name"]),
        })
    # from the layers' declarations (LayerSpec.new_feature_page, .search_api), as the catalog serves them
    new_feature_pages = {layer["name"]: layer["new_feature_page"] for layer in readable
                         if layer.get("new_feature_page")}
    # every readable layer with a search API: the search box asks them all (hc-search.js)
    searches = [{"api": layer["search_api"], "layer": layer["name"], "field": layer.get("title_field") or "name"}
                for layer in readable if layer.get("search_api")]
    used = [t for t in themes if any(layer["theme"] == t for layer in out_layers)]
    used += sorted({layer["theme"] for layer in out_layers} - set(used))
    return {
        "title": PAGE_TITLE, "user": user, "themes": used, "layers": out_layers,
        "visibleThemes": used[:1], "basemaps": settings.basemaps(), "basemap": settings.default_basemap(),
        "center": [settings.center_lat, settings.center_lon], "zoom": settings.zoom, "maxZoom": settings.max_zoom,
        # the county's lon/lat box ([south, west], [north, east]): a phone fits it on load
        "extent": [[HAICHENG_EXTENT[1], HAICHENG_EXTENT[0]], [HAICHENG_EXTENT[3], HAICHENG_EXTENT[2]]],
        "debounceMs": settings.bbox_debounce_ms, "bboxLimit": settings.bbox_limit,
        "api": "/api/layers", "tiles": "/tiles", "featurePage": "/features", "epsg4550": EPSG_4550,
        "searches": searches,
        "demoSource": "demo", "demoLabel": SOURCE_TITLES["demo"],
        "newFeaturePages": new_feature_pages,
    }


def build_map(layers: Sequence[dict[str, Any]], settings: MapSettings, *, themes: Sequence[str],
              user: str | None = None) -> HaichengMap:
    """The main map: no basemap tiles of its own (the scripts add the chosen one), our page shell."""
    config = map_config(layers, settings, themes, user)
    m = HaichengMap(location=config["center"], zoom_start=settings.zoom, max_zoom=settings.max_zoom)
    shell = _templates().get_template("map_shell.html").render(config=config)
    MapApp(config, shell).add_to(m)
    return m


def render_map_page(layers: Sequence[dict[str, Any]], settings: MapSettings, *, themes: Sequence[str],
                    user: str | None = None) -> str:
    """The HTML of ``/``."""
    return build_map(layers, settings, themes=themes, user=user).get_root().render()


def render_feature_page(layer: dict[str, Any], feature_id: int, settings: MapSettings) -> str:
    """The HTML of ``/features/{layer}/{id}``: a shell whose script fetches the feature and its history."""
    config = {"layer": {"name": layer["name"], "title": layer["title"], "write": layer["permissions"]["write"],
                        "style": layer_style(layer), "geometry_type": layer["geometry_type"],
                        "title_field": layer.get("title_field")},
              "id": feature_id, "api": "/api/layers", "maxZoom": settings.max_zoom,
              "demoSource": "demo", "demoLabel": SOURCE_TITLES["demo"], "sources": SOURCE_TITLES,
              "basemaps": settings.basemaps(), "basemap": settings.default_basemap(), "epsg4550": EPSG_4550}
    css = [LEAFLET_CSS, static_url("css/hc-map.css")]
    js = [LEAFLET_JS, PROJ4_JS, static_url("js/hc-core.js"),
          static_url("js/hc-feature.js")]
    return _templates().get_template("feature.html").render(title=PAGE_TITLE, layer=layer, feature_id=feature_id,
                                                            config=config, css=css, js=js)
