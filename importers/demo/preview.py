"""Render the loaded demo layers of the whole county to a PNG (``haicheng-gis demo preview out.png``)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from importers.demo.common import LABEL, SOURCE  # noqa: E402

CJK_FONTS = ["WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP"]
# table, where, style (drawn in this order)
LAYERS: list[tuple[str, str | None, dict[str, Any]]] = [
    ("villages", None, {"facecolor": "#f4f1ea", "edgecolor": "#c8c0b0", "linewidth": 0.3}),
    ("basic_farmland", None, {"facecolor": "#e3e9a6", "edgecolor": "none"}),
    ("scenic_areas", None, {"facecolor": "#9ccc9c", "edgecolor": "#2e7d32", "linewidth": 0.5}),
    ("nature_reserves", None, {"facecolor": "#80cbc4", "edgecolor": "#00695c", "linewidth": 0.5}),
    ("water_source_zones", None, {"facecolor": "#b3e5fc", "edgecolor": "#0277bd", "linewidth": 0.5}),
    ("urban_planning_zones", None, {"facecolor": "#e8c4b0", "edgecolor": "#8d6e63", "linewidth": 0.4}),
    ("heritage_sites", None, {"facecolor": "#d81b60", "edgecolor": "#880e4f", "linewidth": 0.5}),
    ("townships", None, {"facecolor": "none", "edgecolor": "#555555", "linewidth": 0.9}),
    ("rivers", "river_kind = 'embankment'", {"color": "#64b5f6", "linewidth": 0.4}),
    ("rivers", "river_kind = 'river'", {"color": "#1e88e5", "linewidth": 1.8}),
    ("roads", "road_class = 'township'", {"color": "#bdbdbd", "linewidth": 0.35}),
    ("roads", "road_class IN ('county', 'provincial')", {"color": "#f9a825", "linewidth": 0.8}),
    ("roads", "road_class = 'national'", {"color": "#ef6c00", "linewidth": 1.3}),
    ("roads", "road_class = 'expressway'", {"color": "#2e7d32", "linewidth": 2.0}),
    ("railways", None, {"color": "#212121", "linewidth": 1.2, "linestyle": (0, (4, 2))}),
    ("cemeteries", None, {"facecolor": "#33691e", "edgecolor": "#33691e", "linewidth": 0.6}),
    ("boundary_lines", "line_level = 'county'", {"color": "#6a1b9a", "linewidth": 1.6}),
    ("boundary_markers", None, {"color": "#6a1b9a", "markersize": 8, "marker": "^"}),
    ("place_names", "class_code = '02100'", {"color": "#8d6e63", "markersize": 6, "marker": "^"}),
    ("care_facilities", None, {"color": "#fb8c00", "markersize": 3}),
    ("shelters", None, {"color": "#e53935", "markersize": 10, "marker": "s"}),
]


def _font() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def render(url: str, out: str) -> None:
    font = _font()
    if font:
        plt.rcParams["font.family"] = font
    engine = create_engine(url)
    fig, ax = plt.subplots(figsize=(14, 12), dpi=110)
    with engine.connect() as conn:
        for table, where, style in LAYERS:
            sql = f"SELECT geom FROM {table} WHERE source = '{SOURCE}'" + (f" AND {where}" if where else "")
            gdf = gpd.read_postgis(text(sql), conn, geom_col="geom")
            if not gdf.empty:
                gdf.plot(ax=ax, **style)
        names = conn.execute(text("SELECT name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                  "FROM townships WHERE source = :s ORDER BY code"), {"s": SOURCE}).all()
    for name, x, y in names:
        ax.annotate(name, (x, y), ha="center", fontsize=8, color="#333333")
    ax.set_title(f"海城市民政一张图 — {LABEL}（乡镇、村界与道路、河流等均为合成，仅县界与区划名称为真实）", fontsize=12)
    ax.set_aspect(1 / 0.756)  # cos(40.9°): lon/lat shown without east–west stretch
    ax.set_xlabel("经度")
    ax.set_ylabel("纬度")
    fig.tight_layout()
    fig.savefig(out)
    engine.dispose()
