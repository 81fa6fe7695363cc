r"""A small static map as a PNG: shapely geometries in a metric CRS, a scale bar, a north arrow and a
legend, drawn with matplotlib (Agg, no pyplot state) and no basemap — nothing is fetched, so it works
on an isolated network. The caller gives geometries already in the map's projected CRS (metres).

>>> from shapely.geometry import Point
>>> png = render_png([MapLayer("选址", [Point(0, 0).buffer(50)], color="#c00")], (-500, -500, 500, 500))
>>> png[:8] == b"\x89PNG\r\n\x1a\n"
True
>>> nice_length(1234), nice_length(40), nice_length(0)
(1000, 20, 1)
>>> wrap("500 米范围（高速公路、国道、省道）", 10)
'500 米范围（高速\n公路、国道、省道）'
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from shapely.geometry.base import BaseGeometry

from formats.documents import CJK_FONTS

Extent = tuple[float, float, float, float]
MAP_WIDTH = 0.70  # share of the image width taken by the map; the legend has the rest


@dataclass
class MapLayer:
    """Geometries drawn alike; ``labels`` (same length as ``geoms``) are written next to each one."""

    label: str
    geoms: list[BaseGeometry]
    color: str = "#333333"
    fill: str | None = None  # polygon face colour (None: the line colour, faded)
    width: float = 1.2
    style: Any = "-"  # a matplotlib line style
    alpha: float = 0.35
    marker: str = "o"
    size: float = 40
    labels: list[str] = field(default_factory=list)
    legend: bool = True
    zorder: int = 2


@cache
def _font_file() -> str | None:
    return next((str(path) for path in CJK_FONTS if path.exists()), None)


def font(size: float | None = None) -> Any:
    """The CJK font for matplotlib text (the same file the PDF writer uses); None if there is none."""
    from matplotlib.font_manager import FontProperties

    path = _font_file()
    return FontProperties(fname=path, size=size) if path else None


def nice_length(target: float) -> int:
    """The largest 1/2/5 × 10ⁿ metres not above ``target`` (at least 1)."""
    if target < 1:
        return 1
    power = 10 ** math.floor(math.log10(target))
    return int(max(m * power for m in (1, 2, 5) if m * power <= target))


def wrap(text: str, width: int = 15) -> str:
    """Break a (Chinese) label every ``width`` characters: CJK text has no spaces to break at."""
    return "\n".join(line[i:i + width] for line in text.split("\n") for i in range(0, max(len(line), 1), width))


def fit_extent(extent: Extent, aspect: float) -> Extent:
    """Grow ``extent`` about its centre to the width/height ratio ``aspect`` (equal scale on both axes)."""
    minx, miny, maxx, maxy = extent
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _parts(geom: BaseGeometry) -> list[BaseGeometry]:
    if geom is None or geom.is_empty:
        return []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _parts(g)]
    return [geom]


def _draw(ax: Any, layer: MapLayer) -> Any:
    """Draw one layer; returns a legend handle."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    kinds = set()
    for geom in layer.geoms:
        for part in _parts(geom):
            kinds.add(part.geom_type)
            if part.geom_type == "Polygon":
                rings = [part.exterior, *part.interiors]
                path = Path.make_compound_path(*[Path(list(r.coords), closed=True) for r in rings])
                ax.add_patch(PathPatch(path, facecolor=layer.fill or layer.color, alpha=layer.alpha, lw=0,
                                       zorder=layer.zorder))
                ax.add_patch(PathPatch(path, facecolor="none", edgecolor=layer.color, lw=layer.width,
                                       linestyle=layer.style, zorder=layer.zorder))
            elif part.geom_type in ("LineString", "LinearRing"):
                xs, ys = part.xy
                ax.plot(xs, ys, color=layer.color, lw=layer.width, linestyle=layer.style, zorder=layer.zorder,
                        solid_capstyle="round")
            elif part.geom_type == "Point":
                ax.scatter([part.x], [part.y], s=layer.size, c=layer.color, marker=layer.marker,
                           edgecolors="white", linewidths=0.8, zorder=layer.zorder + 1)
    if "Polygon" in kinds:
        from matplotlib.patches import Patch

        return Patch(facecolor=layer.fill or layer.color, edgecolor=layer.color, alpha=0.8, label=wrap(layer.label))
    if "Point" in kinds and len(kinds) == 1:
        return Line2D([], [], marker=layer.marker, color=layer.color, lw=0, markersize=7, label=wrap(layer.label))
    return Line2D([], [], color=layer.color, lw=layer.width, linestyle=layer.style, label=wrap(layer.label))


def _halo(**extra: Any) -> dict[str, Any]:
    from matplotlib import patheffects

    return {"fontproperties": font(), "path_effects": [patheffects.withStroke(linewidth=2.5, foreground="white")],
            **extra}


def _labels(ax: Any, layer: MapLayer, extent: Extent) -> None:
    minx, miny, maxx, maxy = extent
    for geom, text in zip(layer.geoms, layer.labels, strict=False):
        if not text or geom is None or geom.is_empty:
            continue
        p = geom if geom.geom_type == "Point" else geom.representative_point()
        if minx <= p.x <= maxx and miny <= p.y <= maxy:
            ax.text(p.x, p.y, text, fontsize=6.5, color="#222222", ha="left", va="bottom", zorder=20,
                    clip_on=True, **_halo())


def scale_bar(ax: Any, extent: Extent, length: int | None = None) -> int:
    """Draw a bar of ``length`` metres (default: a 1/2/5 × 10ⁿ near a quarter of the width) at the
    map's lower left; returns its length in metres.
    """
    from matplotlib.patches import Rectangle

    minx, miny, maxx, maxy = extent
    w, h = maxx - minx, maxy - miny
    length = length or nice_length(w / 4)
    x0, y0, bar_h = minx + 0.04 * w, miny + 0.05 * h, 0.012 * h
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, bar_h, facecolor="black" if i % 2 == 0
                               else "white", edgecolor="black", lw=0.8, zorder=30))
    text = f"{length / 1000:g} 千米" if length >= 1000 else f"{length} 米"
    ax.text(x0, y0 + bar_h * 1.6, "0", fontsize=7, ha="center", va="bottom", zorder=30, **_halo())
    ax.text(x0 + length, y0 + bar_h * 1.6, text, fontsize=7, ha="center", va="bottom", zorder=30, **_halo())
    return length


def north_arrow(ax: Any) -> None:
    ax.annotate("", xy=(0.94, 0.95), xytext=(0.94, 0.85), xycoords="axes fraction", zorder=30,
                arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1.0", "color": "black", "lw": 1.5})
    ax.text(0.94, 0.955, "北", transform=ax.transAxes, ha="center", va="bottom", fontsize=9, zorder=30, **_halo())


def draw_map(ax: Any, layers: list[MapLayer], extent: Extent,
             annotations: list[tuple[float, float, str]] | None = None) -> list[Any]:
    """Draw ``layers`` on ``ax`` over ``extent`` (already of the axes' aspect); returns the legend handles."""
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#fbfbf8")
    handles = []
    for layer in layers:
        handle = _draw(ax, layer)
        if layer.legend and layer.geoms:
            handles.append(handle)
        _labels(ax, layer, extent)
    for x, y, text in annotations or []:
        ax.text(x, y, text, fontsize=6, color="#7a1f1f", ha="center", va="center", zorder=21, clip_on=True,
                **_halo())
    return handles


def render_png(layers: list[MapLayer], extent: Extent, *, size_px: tuple[int, int] = (1600, 1100),
               dpi: int = 200, crs_note: str = "", annotations: list[tuple[float, float, str]] | None = None
               ) -> bytes:
    """Draw ``layers`` over ``extent`` (grown to the map's aspect) and return the PNG bytes.

    The map takes the left 70 % of the image, the legend the rest. ``annotations`` are
    (x, y, text) written on the map (e.g. distances).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, MAP_WIDTH, 0.98))
    aspect = (MAP_WIDTH * size_px[0]) / (0.98 * size_px[1])
    extent = fit_extent(extent, aspect)
    handles = draw_map(ax, layers, extent, annotations)
    scale_bar(ax, extent)
    north_arrow(ax)
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(MAP_WIDTH + 0.02, 0.99), prop=font(7),
                   frameon=False, title="图例", title_fontproperties=font(9), handlelength=2.2, labelspacing=0.7)
    if crs_note:
        fig.text(MAP_WIDTH + 0.025, 0.02, wrap(crs_note, 26), fontproperties=font(6), color="#555555",
                 va="bottom", linespacing=1.4)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, facecolor="white")
    return out.getvalue()
