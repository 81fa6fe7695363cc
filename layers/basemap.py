"""The built-in offline basemap (issue 16 item 2): what is drawn from the service's own layers, zoom by zoom.

Only layers everyone may read and that hold no personal data: townships (land colour and outline), villages,
rivers, railways, roads by 公路等级 and place names. Each layer's rows in a tile are read in one statement,
already clipped and in tile pixels (``ST_AsMVTGeom`` with a 256-pixel extent); names are anchored on the
whole feature (a polygon's ``ST_PointOnSurface``), so a name on a tile edge is drawn the same on both
tiles; a road's or river's name is written in each tile it crosses, where it fits whole. Colours, widths
and the zooms where things appear are local parameters of this project, chosen after the usual Chinese
road-map convention (高速 red-orange, 国道 orange, 省道 yellow, 县道 pale
yellow, 乡道 white with a grey casing; water blue); they are not set by any standard.

Zooms (Web Mercator): township outlines and names 9–18;
village outlines from 11, their names from 13; 县道 from 10, 乡道 from 11; rivers from 9, their names
from 13; road names from 14; settlement names (居民点, class 06) from 14 and every other place name from 16.
Only approved or announced names are drawn: a proposed (拟命名) name is not yet in use and a historical name
no longer is (project convention).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely import wkb
from sqlalchemy import Connection, text

from formats.srids import STORAGE_SRID, WEB_MERCATOR_SRID
from formats.tile_image import Dot, Fill, Label, Stroke

MIN_ZOOM, MAX_ZOOM = 9, 18
EXTENT = 256
LABEL_MARGIN = 128  # pixels around a tile whose labels are drawn too (half of a label may reach in)
LAND, TOWNSHIP_LINE, VILLAGE_LINE = "#f3efe6", "#9b7fb5", "#cbbfd8"
WATER, RAILWAY = "#5b9bd5", "#6d6d6d"
TOWNSHIP_TEXT, VILLAGE_TEXT, WATER_TEXT, ROAD_TEXT, PLACE_TEXT = "#4b2f69", "#6a5a7e", "#2f6aa3", "#5a4630", "#222222"


@dataclass(frozen=True)
class RoadStyle:
    color: str
    casing: str
    width9: float  # pixel width at zoom 9 and at zoom 18; linear between
    width18: float
    from_zoom: int

    def width(self, z: int) -> int:
        return max(1, round(self.width9 + (self.width18 - self.width9) * (z - MIN_ZOOM) / (MAX_ZOOM - MIN_ZOOM)))


ROADS = {  # drawn in this order, so the higher grade lies on top at a crossing
    "township": RoadStyle("#ffffff", "#a9a9a9", 1, 8, 11),
    "county": RoadStyle("#fbe9a0", "#c9a94a", 1, 10, 10),
    "provincial": RoadStyle("#f7c948", "#b8901c", 2, 12, 9),
    "national": RoadStyle("#f29b38", "#b86a12", 2, 14, 9),
    "expressway": RoadStyle("#e05d3a", "#9e3318", 3, 16, 9),
}


def _clip(table: str, columns: str, where: str = "TRUE", geom: str = "t.geom") -> str:
    """Rows of ``table`` near the tile, ``geom`` in tile pixels; binds z, x, y. Names come from this module."""
    return f"""
        SELECT {columns}, ST_AsBinary(ST_AsMVTGeom(ST_Transform({geom}, {WEB_MERCATOR_SRID}),
                                                   ST_TileEnvelope(:z, :x, :y), {EXTENT}, 8, true)) AS shape
        FROM {table} t
        WHERE t.retired_at IS NULL AND ({where})
          AND t.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {8 / EXTENT}), {STORAGE_SRID})"""


def _anchors(table: str, columns: str, anchor: str, where: str = "TRUE") -> str:
    """Label anchors of ``table`` within :data:`LABEL_MARGIN` of the tile, in tile pixels."""
    margin = LABEL_MARGIN / EXTENT
    return f"""
        SELECT label, ST_X(p) AS px, ST_Y(p) AS py FROM (
            SELECT {columns} AS label, ST_AsMVTGeom(ST_Transform({anchor}, {WEB_MERCATOR_SRID}),
                                                    ST_TileEnvelope(:z, :x, :y), {EXTENT}, {LABEL_MARGIN}, true) AS p
            FROM {table} t
            WHERE t.retired_at IS NULL AND ({where})
              AND t.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {margin}), {STORAGE_SRID})) a
        WHERE p IS NOT NULL"""


# a road's or river's name goes where the line passes nearest the tile's centre: every tile it crosses
# can write it (whole, see _labels), not only the one holding the middle of a long piece
_NEAR_CENTRE = f"ST_ClosestPoint(t.geom, ST_Transform(ST_Centroid(ST_TileEnvelope(:z, :x, :y)), {STORAGE_SRID}))"
_NAMED = "t.status IN ('approved', 'announced')"


def _rows(conn: Connection, sql: str, tile: dict[str, object]) -> list[tuple]:
    return [tuple(row) for row in conn.execute(text(sql), tile)]


def _shapes(conn: Connection, sql: str, tile: dict[str, object]) -> list[tuple]:
    """(columns…, shapely shape) for the rows with something left in the tile."""
    return [(*row[:-1], wkb.loads(bytes(row[-1]))) for row in _rows(conn, sql, tile) if row[-1] is not None]


def tile_content(conn: Connection, z: int, x: int, y: int) -> tuple[list[Fill | Stroke | Dot], list[Label]]:
    """What tile ``z/x/y`` shows, bottom to top, and its labels. Outside 9–18 nothing."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        return [], []
    tile: dict[str, object] = {"z": z, "x": x, "y": y}
    shapes: list[Fill | Stroke | Dot] = []
    labels: list[Label] = []
    townships = _shapes(conn, _clip("townships", "t.id"), tile)
    shapes += [Fill(shape, LAND) for _, shape in townships]
    if z >= 11:
        shapes += [Fill(shape, None, VILLAGE_LINE, 1) for _, shape in _shapes(conn, _clip("villages", "t.id"), tile)]
    shapes += [Fill(shape, None, TOWNSHIP_LINE, 2 if z < 14 else 3) for _, shape in townships]
    water_width = 1 if z < 12 else 2 if z < 15 else 4
    shapes += [Stroke(shape, WATER, water_width) for _, shape in _shapes(conn, _clip("rivers", "t.id"), tile)]
    if z >= 10:
        shapes += [Stroke(shape, RAILWAY, 2) for _, shape in _shapes(conn, _clip("railways", "t.id"), tile)]
    shapes += _roads(conn, z, tile)
    if z >= 14:
        where = _NAMED + ("" if z >= 16 else " AND t.class_code LIKE '06%'")
        points = _shapes(conn, _clip("place_names", "t.id", where + " AND GeometryType(t.geom) = 'POINT'"), tile)
        shapes += [Dot(shape, PLACE_TEXT, 2 if z < 16 else 3) for _, shape in points]
    labels += _labels(conn, z, tile)
    return shapes, labels


def _roads(conn: Connection, z: int, tile: dict[str, object]) -> list[Fill | Stroke | Dot]:
    shown = [name for name, style in ROADS.items() if z >= style.from_zoom]
    if not shown:
        return []
    rows = _shapes(conn, _clip("roads", "t.road_class", "t.road_class = ANY(:classes)"), {**tile, "classes": shown})
    out: list[Fill | Stroke | Dot] = []
    for name in shown:  # casings of a class under its fill, class by class
        style, lines = ROADS[name], [shape for road_class, shape in rows if road_class == name]
        width = style.width(z)
        if width >= 3:
            out += [Stroke(shape, style.casing, width + 2) for shape in lines]
        out += [Stroke(shape, style.color, width) for shape in lines]
    return out


def _labels(conn: Connection, z: int, tile: dict[str, object]) -> list[Label]:
    """Labels by importance (rank): townships, villages, settlements, rivers, roads, other names. A road or
    river is stored in many pieces of the same name: its name is written once a tile, only where it fits
    whole (repeated along the line from tile to tile).
    """
    point = "ST_PointOnSurface(t.geom)"
    wanted: list[tuple[str, int, str, int, bool]] = []  # (statement, size, colour, rank, once a tile)
    wanted.append((_anchors("townships", "t.name", point), 13 if z < 11 else 16, TOWNSHIP_TEXT, 6, False))
    if z >= 13:
        wanted.append((_anchors("villages", "t.name", point), 13 if z < 15 else 15, VILLAGE_TEXT, 5, False))
        wanted.append((_anchors("rivers", "t.name", _NEAR_CENTRE), 12, WATER_TEXT, 3, True))
    if z >= 14:
        wanted.append((_anchors("place_names", "t.name", point, _NAMED + " AND t.class_code LIKE '06%'"),
                       13, PLACE_TEXT, 4, False))
        wanted.append((_anchors("roads", "coalesce(t.name, t.road_code)", _NEAR_CENTRE), 12, ROAD_TEXT, 2, True))
    if z >= 16:
        wanted.append((_anchors("place_names", "t.name", point, _NAMED + " AND t.class_code NOT LIKE '06%'"),
                       12, PLACE_TEXT, 1, False))
    labels: list[Label] = []
    for sql, size, color, rank, once in wanted:
        found = [Label(name, px, py, size, color, rank) for name, px, py in _rows(conn, sql, tile) if name]
        if once:  # the first whole one of each name
            found = list({lb.text: lb for lb in reversed(found) if lb.inside()}.values())
        labels += found
    return labels


SOURCE_TABLES = ("townships", "villages", "rivers", "railways", "roads", "place_names")
