r"""One 256 × 256 PNG map tile drawn with Pillow from shapes already in tile pixels (x right, y down).

The caller gives polygons, lines and dots with their colours and widths, and labels with their anchor; this
module only draws (nothing is fetched: it works on an isolated network). Labels use the CJK font the PDFs
use (:data:`formats.documents.CJK_FONTS`) with a white halo, so they stay legible over lines and fills.
Where nothing is drawn the tile is transparent.

>>> from shapely.geometry import LineString
>>> png = draw_tile([Stroke(LineString([(0, 128), (256, 128)]), "#e05d3a", 6)], [])
>>> from PIL import Image; import io
>>> Image.open(io.BytesIO(png)).getpixel((100, 128))
(224, 93, 58, 255)
>>> Image.open(io.BytesIO(EMPTY_TILE)).getpixel((0, 0))
(0, 0, 0, 0)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from shapely.geometry.base import BaseGeometry

from formats.documents import CJK_FONTS

SIZE = 256


@dataclass(frozen=True)
class Fill:
    """A polygon's face and outline (either may be None)."""

    shape: BaseGeometry
    color: str | None
    outline: str | None = None
    width: int = 1


@dataclass(frozen=True)
class Stroke:
    """A line drawn ``width`` pixels wide; a round join so that thick bends have no notches."""

    shape: BaseGeometry
    color: str
    width: int


@dataclass(frozen=True)
class Dot:
    shape: BaseGeometry
    color: str
    radius: int


@dataclass(frozen=True)
class Label:
    """Text centred on ``x, y`` (tile pixels; may lie off the tile, so a neighbour's label shows its half)."""

    text: str
    x: float
    y: float
    size: int
    color: str
    rank: int = 0  # the higher, the earlier it is placed (and the others give way)

    def box(self) -> tuple[float, float, float, float]:
        left, top, right, bottom = _font(self.size).getbbox(self.text, anchor="mm", stroke_width=2)
        return self.x + left, self.y + top, self.x + right, self.y + bottom

    def inside(self) -> bool:
        """Whole within the tile (a repeated name is written only where no neighbour cuts it)."""
        left, top, right, bottom = self.box()
        return left >= 0 and top >= 0 and right <= SIZE and bottom <= SIZE


@cache
def _font(size: int) -> Any:
    path = next((p for p in CJK_FONTS if p.exists()), None)
    return ImageFont.truetype(str(path), size, index=0) if path else ImageFont.load_default()


def _parts(shape: BaseGeometry) -> list[BaseGeometry]:
    return list(getattr(shape, "geoms", [shape]))


def _draw_fill(draw: ImageDraw.ImageDraw, item: Fill) -> None:
    for polygon in _parts(item.shape):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        if item.color:
            draw.polygon(list(polygon.exterior.coords), fill=item.color)
            for hole in polygon.interiors:  # holes back to transparent
                draw.polygon(list(hole.coords), fill=(0, 0, 0, 0))
        if item.outline:
            for ring in (polygon.exterior, *polygon.interiors):
                draw.line(list(ring.coords), fill=item.outline, width=item.width, joint="curve")


def _draw_stroke(draw: ImageDraw.ImageDraw, item: Stroke) -> None:
    for line in _parts(item.shape):
        if line.geom_type == "LineString" and not line.is_empty:
            draw.line(list(line.coords), fill=item.color, width=item.width, joint="curve")


def _draw_dot(draw: ImageDraw.ImageDraw, item: Dot) -> None:
    for point in _parts(item.shape):
        if point.geom_type == "Point" and not point.is_empty:
            r = item.radius
            draw.ellipse((point.x - r, point.y - r, point.x + r, point.y + r), fill=item.color, outline="#ffffff")


def _draw_label(draw: ImageDraw.ImageDraw, item: Label) -> None:
    draw.text((item.x, item.y), item.text, fill=item.color, font=_font(item.size), anchor="mm",
              stroke_width=2, stroke_fill="#ffffff")


def place_labels(labels: list[Label]) -> list[Label]:
    """The labels that do not overlap a more important one: by rank, then top to bottom and left to right.

    That order depends only on where labels are, not on the tile, so two tiles that share an edge mostly
    decide alike about a label across it (the caller passes the labels within a margin of the tile).

    >>> a, b = Label("王家屯", 100, 100, 13, "#000", 1), Label("李家屯", 110, 104, 13, "#000", 2)
    >>> [label.text for label in place_labels([a, b, Label("远处", 200, 200, 13, "#000")])]
    ['李家屯', '远处']
    """
    placed: list[Label] = []
    boxes: list[tuple[float, float, float, float]] = []
    for label in sorted(labels, key=lambda lb: (-lb.rank, lb.y, lb.x, lb.text)):
        left, top, right, bottom = label.box()
        if any(left < b[2] and b[0] < right and top < b[3] and b[1] < bottom for b in boxes):
            continue
        placed.append(label)
        boxes.append((left, top, right, bottom))
    return placed


def draw_tile(shapes: list[Fill | Stroke | Dot], labels: list[Label]) -> bytes:
    """The tile as PNG bytes: ``shapes`` in their order, then ``labels`` on top."""
    if not shapes and not labels:
        return EMPTY_TILE
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        if isinstance(shape, Fill):
            _draw_fill(draw, shape)
        elif isinstance(shape, Stroke):
            _draw_stroke(draw, shape)
        else:
            _draw_dot(draw, shape)
    for label in place_labels(labels):
        _draw_label(draw, label)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _empty() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0)).save(out, format="PNG")
    return out.getvalue()


EMPTY_TILE = _empty()
