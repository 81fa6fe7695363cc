"""Township and village polygons that partition the real county outline exactly.

Seats are plausible approximations of the real towns (示例数据). Cells are Voronoi regions of
the seats whose edges are bent by smooth noise; all edges plus the county line are noded and
polygonized once, so neighbours share identical edges (no gaps, no overlaps) and every
village face lies in exactly one township.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from importers.demo.common import Division, county_outline, divisions, metric_xy, rng, sample_points, short_name

# Approximate seat positions (lon, lat): synthetic, for the demo only.
SEATS: dict[str, tuple[float, float]] = {
    "海州街道": (122.690, 40.880), "兴海街道": (122.652, 40.868), "响堂街道": (122.728, 40.852),
    "东四街道": (122.742, 40.900), "东四方台街道": (122.690, 40.918),
    "腾鳌镇": (122.790, 41.060), "耿庄镇": (122.640, 41.035), "温香镇": (122.520, 41.040),
    "望台镇": (122.720, 40.985), "中小镇": (122.800, 40.945), "牛庄镇": (122.470, 40.985),
    "西四镇": (122.420, 40.935), "高坨镇": (122.565, 40.885), "西柳镇": (122.575, 40.805),
    "感王镇": (122.635, 40.755), "王石镇": (122.705, 40.728), "南台镇": (122.785, 40.765),
    "八里镇": (122.775, 40.830), "毛祁镇": (122.690, 40.655), "英落镇": (122.830, 40.665),
    "马风镇": (122.865, 40.860), "牌楼镇": (122.905, 40.895), "析木镇": (122.975, 40.800),
    "岔沟镇": (123.075, 40.745), "接文镇": (122.985, 40.675), "孤山镇": (122.975, 40.565),
}
VILLAGE_KINDS = (("村委会", "village"), ("居委会", "residents"), ("社区", "community"))


@dataclass
class Unit:
    code: str
    name: str
    seat: tuple[float, float]  # EPSG:4550
    geom: BaseGeometry = field(default_factory=Polygon)
    parent: str = ""
    kind: str = ""
    population: int = 0


@dataclass
class Partition:
    townships: dict[str, Unit]
    villages: dict[str, Unit]

    def villages_of(self, township_code: str) -> list[Unit]:
        return [v for v in self.villages.values() if v.parent == township_code]


def _edges(cells: BaseGeometry) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The distinct straight edges of a set of Voronoi cells, in a stable order."""
    seen: set[tuple[tuple[float, float], tuple[float, float]]] = set()
    out = []
    for cell in cells.geoms:
        coords = [(round(x, 3), round(y, 3)) for x, y in cell.exterior.coords]
        for a, b in zip(coords[:-1], coords[1:], strict=True):
            key = (a, b) if a <= b else (b, a)
            if key not in seen and a != b:
                seen.add(key)
                out.append(key)
    return sorted(out)


def _bend(a: tuple[float, float], b: tuple[float, float], r: np.random.Generator, amplitude: float) -> LineString:
    """A smooth wiggly line from a to b (ends fixed): boundaries follow streams and ridges."""
    ax, ay = a
    bx, by = b
    length = float(np.hypot(bx - ax, by - ay))
    n = max(8, int(length / 250))
    t = np.linspace(0, 1, n)
    nx, ny = -(by - ay) / length, (bx - ax) / length
    amp = min(amplitude * length, 1200.0)
    offset = np.zeros(n)
    for k, scale in ((1, 1.0), (2, 0.5), (3, 0.3), (5, 0.15)):
        offset += scale * r.uniform(-1, 1) * np.sin(np.pi * k * t + r.uniform(0, 2 * np.pi))
    offset *= np.sin(np.pi * t) * amp
    return LineString(np.column_stack([ax + (bx - ax) * t + nx * offset, ay + (by - ay) * t + ny * offset]))


def _cell_lines(points: np.ndarray, extent: BaseGeometry, r: np.random.Generator, amplitude: float) -> list:
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=extent.envelope.buffer(20_000))
    return [_bend(a, b, r, amplitude) for a, b in _edges(cells)]


def _lloyd(points: np.ndarray, polygon: BaseGeometry, steps: int) -> np.ndarray:
    for _ in range(steps):
        cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=polygon.envelope.buffer(5_000))
        moved = []
        for p in points:
            cell = next(c for c in cells.geoms if c.contains(Point(p)))
            clipped = cell.intersection(polygon)
            centre = clipped.centroid if not clipped.is_empty else Point(p)
            if not polygon.contains(centre):
                centre = clipped.representative_point()
            moved.append((centre.x, centre.y))
        points = np.array(moved)
    return points


def _faces(lines: list[BaseGeometry], county: BaseGeometry) -> list[BaseGeometry]:
    """The faces of the noded linework that lie inside the county."""
    noded = shapely.union_all([g for g in lines if not g.is_empty])
    faces = shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms
    return [f for f in faces if county.contains(f.representative_point())]


def _assign(faces: list[BaseGeometry], seeds: np.ndarray) -> np.ndarray:
    """Index of the seed each face belongs to: the seed inside it, else the nearest one."""
    owner = np.full(len(faces), -1)
    for i, face in enumerate(faces):
        inside = np.nonzero(shapely.contains_xy(face, seeds[:, 0], seeds[:, 1]))[0]
        if len(inside):
            owner[i] = inside[0]
        else:
            p = face.representative_point()
            owner[i] = int(np.argmin(np.hypot(seeds[:, 0] - p.x, seeds[:, 1] - p.y)))
    return owner


def _village_kind(name: str) -> str:
    return next((kind for suffix, kind in VILLAGE_KINDS if name.endswith(suffix)), "village")


def build_partition() -> Partition:
    r = rng("partition")
    county = county_outline()
    town_divs = [d for d in divisions() if d.level == "township"]
    seats = np.array([metric_xy(*SEATS[d.name]) for d in town_divs])
    county_line = county.boundary
    # edges overshoot the outline a little: noding cuts them, polygonize drops the dangles
    town_lines = [ln.intersection(county.buffer(50)) for ln in _cell_lines(seats, county, r, 0.10)]
    faces = _faces([county_line, *town_lines], county)
    owner = _assign(faces, seats)
    townships: dict[str, Unit] = {}
    for i, d in enumerate(town_divs):
        geom = shapely.union_all([f for f, o in zip(faces, owner, strict=True) if o == i])
        kind = "subdistrict" if d.name.endswith("街道") else "town"
        townships[d.code] = Unit(d.code, d.name, tuple(seats[i]), geom, "210381", kind)

    villages: dict[str, Unit] = {}
    all_lines: list[BaseGeometry] = [county_line, *town_lines]
    seed_rows: list[tuple[Division, np.ndarray]] = []
    for t in townships.values():
        divs = [d for d in divisions() if d.parent_code == t.code]
        pts = sample_points(r, t.geom.buffer(-300), len(divs))
        if t.kind == "subdistrict":  # communities crowd towards the seat
            pts = np.array(t.seat) + (pts - np.array(t.seat)) * 0.75
        pts = _lloyd(pts, t.geom, 3)
        # the village nearest the township seat becomes the seat village: put it on the seat
        k = int(np.argmin(np.hypot(pts[:, 0] - t.seat[0], pts[:, 1] - t.seat[1])))
        pts[k] = t.seat
        near = t.geom.buffer(20.0)
        all_lines += [ln.intersection(near) for ln in _cell_lines(pts, t.geom, r, 0.08)]
        seed_rows += [(d, p) for d, p in zip(divs, pts, strict=True)]
        t.seat_village = divs[k].code  # type: ignore[attr-defined]

    faces = _faces(all_lines, county)
    seeds = np.array([p for _, p in seed_rows])
    parents = np.array([d.parent_code for d, _ in seed_rows])
    town_codes = list(townships)
    tree = shapely.STRtree([townships[c].geom for c in town_codes])
    owner = np.full(len(faces), -1)
    for i, face in enumerate(faces):
        p = face.representative_point()
        hits = tree.query(p, predicate="within")
        code = town_codes[int(hits[0])] if len(hits) else town_codes[int(tree.nearest(p))]
        idx = np.nonzero(parents == code)[0]
        inside = idx[shapely.contains_xy(face, seeds[idx, 0], seeds[idx, 1])]
        if len(inside):
            owner[i] = inside[0]
        else:
            owner[i] = idx[int(np.argmin(np.hypot(seeds[idx, 0] - p.x, seeds[idx, 1] - p.y)))]
    for j, (d, p) in enumerate(seed_rows):
        geom = shapely.union_all([f for f, o in zip(faces, owner, strict=True) if o == j])
        kind = _village_kind(d.name)
        base = {"community": 6000, "residents": 4000, "village": 2200}[kind]
        villages[d.code] = Unit(d.code, d.name, (float(p[0]), float(p[1])), geom, d.parent_code, kind,
                                int(base * r.uniform(0.6, 1.5)))
    for t in townships.values():  # townships are exactly the union of their villages
        members = [v for v in villages.values() if v.parent == t.code]
        t.geom = shapely.union_all([v.geom for v in members])
        t.population = sum(v.population for v in members)
    return Partition(townships, villages)


def seat_name(partition: Partition, township: Unit) -> str:
    return short_name(partition.villages[township.seat_village].name)  # type: ignore[attr-defined]


def multi(geom: BaseGeometry) -> BaseGeometry:
    """Polygon → MultiPolygon, LineString → MultiLineString; others unchanged."""
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "LineString":
        return MultiLineString([geom])
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return multi(shapely.union_all(polys))
    return geom
