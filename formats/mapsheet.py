"""A printed map sheet: A4 or A3, portrait or landscape, as PDF or PNG. Title on top, the map frame
with its scale bar and north arrow, the legend on the right, and a footer with the scale, the
mapping unit (制图单位) and the date. The map itself is drawn by ``formats.mapimage``.

The frame has a known size on paper, so the scale is exact: the ground width of the (fitted) extent
over the frame's width. A4 landscape, 2,000 m across:

>>> sheet = Sheet("A4", "landscape")
>>> sheet.frame_mm
(10.0, 22.0, 222.0, 166.0)
>>> plan = sheet.plan((0.0, 0.0, 2000.0, 1000.0))
>>> plan.extent[2] - plan.extent[0], round(plan.scale), plan.bar_m
(2000.0, 9009, 200)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from formats.mapimage import Extent, MapLayer, draw_map, fit_extent, font, nice_length, north_arrow, scale_bar, wrap

Paper = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}  # GB/T 148 (ISO 216) portrait width × height
MARGIN_MM, TITLE_MM, FOOTER_MM, LEGEND_MM = 10.0, 12.0, 12.0, 55.0
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Plan:
    extent: Extent  # the ground the frame shows (EPSG:4550 metres)
    scale: float  # the denominator: 1 : scale
    bar_m: int  # the scale bar's length on the ground


@dataclass(frozen=True)
class Sheet:
    paper: Paper
    orientation: Orientation

    @property
    def page_mm(self) -> tuple[float, float]:
        w, h = PAPER_MM[self.paper]
        return (h, w) if self.orientation == "landscape" else (w, h)

    @property
    def frame_mm(self) -> tuple[float, float, float, float]:
        """(left, bottom, width, height) of the map frame on the page, in millimetres."""
        w, h = self.page_mm
        legend = LEGEND_MM if self.orientation == "landscape" else 0.0
        bottom = MARGIN_MM + FOOTER_MM + (0.0 if legend else 30.0)  # portrait: the legend goes under the map
        return (MARGIN_MM, bottom, w - 2 * MARGIN_MM - legend, h - bottom - MARGIN_MM - TITLE_MM)

    def plan(self, extent: Extent) -> Plan:
        """The extent grown to the frame's shape, its scale and a 1/2/5 × 10ⁿ bar near a fifth of it."""
        _, _, fw, fh = self.frame_mm
        fitted = fit_extent(extent, fw / fh)
        ground_w = fitted[2] - fitted[0]
        return Plan(fitted, ground_w / (fw / 1000.0), nice_length(ground_w / 5))


def render_sheet(sheet: Sheet, layers: list[MapLayer], extent: Extent, *, title: str, unit: str, date_text: str,
                 fmt: Literal["pdf", "png"], notes: list[str] | None = None, dpi: int = 150) -> tuple[bytes, Plan]:
    """The sheet as PDF or PNG bytes, and the plan it was drawn to."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    (pw, ph), (fx, fy, fw, fh) = sheet.page_mm, sheet.frame_mm
    plan = sheet.plan(extent)
    fig = Figure(figsize=(pw / MM_PER_INCH, ph / MM_PER_INCH), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((fx / pw, fy / ph, fw / pw, fh / ph))
    handles = draw_map(ax, layers, plan.extent)
    scale_bar(ax, plan.extent, plan.bar_m)
    north_arrow(ax)
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)
    fig.text(0.5, 1 - (MARGIN_MM + TITLE_MM / 2) / ph, title, ha="center", va="center", fontproperties=font(16))
    if sheet.orientation == "landscape":
        anchor, columns = ((fx + fw + 4) / pw, (fy + fh) / ph), 1
    else:
        anchor, columns = (fx / pw, (fy - 2) / ph), 3
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor, prop=font(8), frameon=False,
                   title="图例", title_fontproperties=font(10), ncols=columns, alignment="left")
    footer = f"比例尺 1:{plan.scale:,.0f}　　制图单位：{unit}　　制图日期：{date_text}"
    fig.text(fx / pw, MARGIN_MM / ph, footer, ha="left", va="bottom", fontproperties=font(8))
    if notes:
        fig.text(1 - MARGIN_MM / pw, MARGIN_MM / ph, wrap("；".join(notes), 60), ha="right", va="bottom",
                 fontproperties=font(7), color="#555555")
    out = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}):  # TrueType text: the PDF's words can be searched and copied
        fig.savefig(out, format=fmt, dpi=dpi, facecolor="white")
    return out.getvalue(), plan
