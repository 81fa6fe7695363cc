"""Linear constraint layers: expressways and roads, railways, rivers and their embankments.

Real corridors (DOMAIN.md §1) are drawn along approximate control points (示例数据); the rural
network links township seats (provincial/county roads) and villages (township roads).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from importers.demo.common import TAG, county_outline, metric_xy, rng, short_name
from importers.demo.partition import Partition, multi
from importers.demo.settlements import Settlement
from importers.demo.terrain import elevation

SEGMENT_M = 700.0
EMBANKMENT_OFFSET_M = 120.0
PLAIN_EMBANKMENT_MAX_M = 45.0

# a recorded width of the land (between the outer edges of the highway's land, m; 示例数据): 沈大 (G15) is an
# eight-lane road, wider than the four-lane class default; every other road uses its class default (data/rules)
RECORDED_WIDTH_M = {"G15": 44.0}
EXPRESSWAYS = {  # code: (name, lon/lat control points)
    "G15": ("沈海高速", [(122.705, 41.14), (122.665, 41.02), (122.640, 40.93), (122.625, 40.86),
                        (122.605, 40.78), (122.585, 40.72)]),
    "G16": ("丹锡高速", [(122.36, 40.955), (122.50, 40.915), (122.625, 40.875), (122.76, 40.845),
                        (122.90, 40.79), (123.02, 40.72), (123.14, 40.665)]),
}
NATIONAL = {
    "G202": ("黑大线", [(122.80, 41.08), (122.75, 40.98), (122.705, 40.89), (122.70, 40.80),
                        (122.68, 40.70), (122.66, 40.60)]),
    "G305": ("庄林线", [(122.39, 40.985), (122.55, 40.93), (122.69, 40.895), (122.86, 40.865),
                        (122.97, 40.81), (123.08, 40.76), (123.13, 40.71)]),
}
RAILWAYS = {  # name: (class, control points) — both north–south through the city
    "沈大铁路": ("conventional", [(122.745, 41.13), (122.715, 41.00), (122.697, 40.885),
                                  (122.675, 40.78), (122.655, 40.62)]),
    "哈大高铁": ("high_speed", [(122.715, 41.14), (122.68, 41.00), (122.662, 40.88),
                                (122.64, 40.78), (122.62, 40.68)]),
}
RIVERS = {
    "海城河": [(123.06, 40.785), (122.96, 40.805), (122.85, 40.845), (122.74, 40.862), (122.69, 40.868),
              (122.60, 40.905), (122.50, 40.955), (122.40, 40.99)],
    "五道河": [(122.83, 40.60), (122.74, 40.68), (122.66, 40.74), (122.58, 40.79), (122.50, 40.85),
              (122.43, 40.92)],
}


@dataclass
class Network:
    roads: list[dict] = field(default_factory=list)  # name, road_code, road_class, geom
    railways: list[dict] = field(default_factory=list)
    rivers: list[dict] = field(default_factory=list)  # name, river_kind, geom

    def lines(self, kind: str, cls: str | None = None) -> BaseGeometry:
        rows = getattr(self, kind)
        key = {"roads": "road_class", "railways": "railway_class", "rivers": "river_kind"}[kind]
        return shapely.union_all([r["geom"] for r in rows if cls is None or r[key] == cls])


def _wiggle(points: list[tuple[float, float]], r: np.random.Generator, amplitude: float,
            step: float = 150.0) -> LineString:
    """A smooth meandering line through metric control points."""
    base = LineString(points)
    n = max(4, int(base.length / step))
    d = np.linspace(0, base.length, n)
    xy = np.array([base.interpolate(v).coords[0] for v in d])
    tangent = np.gradient(xy, axis=0)
    norm = np.hypot(tangent[:, 0], tangent[:, 1]) + 1e-9
    normal = np.column_stack([-tangent[:, 1] / norm, tangent[:, 0] / norm])
    offset = np.zeros(n)
    for wavelength in (4000.0, 1500.0, 600.0):
        offset += amplitude * (wavelength / 4000.0) * np.sin(2 * np.pi * d / wavelength + r.uniform(0, 6.3))
    offset *= np.clip(np.sin(np.pi * d / base.length), 0, 1) ** 0.3  # ends stay on their nodes
    return LineString(xy + normal * offset[:, None])


def _clip(line: BaseGeometry) -> BaseGeometry:
    return line.intersection(county_outline())


def _segments(line: BaseGeometry, length: float = SEGMENT_M) -> list[BaseGeometry]:
    out = []
    for part in getattr(line, "geoms", [line]):
        if part.is_empty or part.length < 1:
            continue
        n = max(1, round(part.length / length))
        for i in range(n):
            seg = shapely.ops.substring(part, part.length * i / n, part.length * (i + 1) / n)
            out.append(MultiLineString([seg]))
    return out


def _metric(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [metric_xy(lon, lat) for lon, lat in points]


def _mst(nodes: np.ndarray) -> list[tuple[int, int]]:
    """Edges of the Euclidean minimum spanning tree (Prim), deterministic order."""
    n = len(nodes)
    if n < 2:
        return []
    dist = np.hypot(nodes[:, None, 0] - nodes[None, :, 0], nodes[:, None, 1] - nodes[None, :, 1])
    inside = np.zeros(n, bool)
    inside[0] = True
    best = dist[0].copy()
    parent = np.zeros(n, int)
    edges = []
    for _ in range(n - 1):
        cand = np.where(inside, np.inf, best)
        j = int(np.argmin(cand))
        edges.append((int(parent[j]), j))
        inside[j] = True
        closer = dist[j] < best
        best = np.where(closer, dist[j], best)
        parent = np.where(closer, j, parent)
    return edges


def build_network(partition: Partition, settlements: list[Settlement]) -> Network:
    import shapely.ops  # noqa: F401  (substring)

    r = rng("network")
    net = Network()
    for code, (name, pts) in EXPRESSWAYS.items():
        for seg in _segments(_clip(_wiggle(_metric(pts), r, 150)), 3000):
            net.roads.append({"name": name, "road_code": code, "road_class": "expressway",
                              "width_m": RECORDED_WIDTH_M.get(code), "geom": seg})
    for code, (name, pts) in NATIONAL.items():
        for seg in _segments(_clip(_wiggle(_metric(pts), r, 250))):
            net.roads.append({"name": f"{name}{TAG}", "road_code": code, "road_class": "national", "geom": seg})
    for name, (cls, pts) in RAILWAYS.items():
        net.railways.append({"name": name, "railway_class": cls, "geom": multi(_clip(_wiggle(_metric(pts), r, 80)))})
    for name, pts in RIVERS.items():
        river = _clip(_wiggle(_metric(pts), r, 500, 100))
        river = shapely.ops.linemerge(river) if river.geom_type == "MultiLineString" else river
        net.rivers.append({"name": name, "river_kind": "river", "geom": multi(river)})
        for side, sign in (("左堤", 1), ("右堤", -1)):
            bank = _plain_part(shapely.offset_curve(river, sign * EMBANKMENT_OFFSET_M))
            if not bank.is_empty:
                net.rivers.append({"name": f"{name}{side}", "river_kind": "embankment", "geom": multi(bank)})

    towns = [t for t in partition.townships.values() if t.kind == "town" or t.name == "海州街道"]
    seats = np.array([t.seat for t in towns])
    linked = set()
    for k, (a, b) in enumerate(_mst(seats)):
        linked.add((min(a, b), max(a, b)))
        _add_road(net, r, towns[a].seat, towns[b].seat, "provincial", f"S{301 + k}",
                  f"{short_name(towns[a].name)[:1]}{short_name(towns[b].name)[:1]}线")
    dist = np.hypot(seats[:, None, 0] - seats[None, :, 0], seats[:, None, 1] - seats[None, :, 1])
    k = 0
    for a in range(len(towns)):
        for b in np.argsort(dist[a])[1:3]:
            key = (min(a, int(b)), max(a, int(b)))
            if key in linked:
                continue
            linked.add(key)
            k += 1
            _add_road(net, r, towns[a].seat, towns[int(b)].seat, "county", f"X{100 + k:03d}",
                      f"{short_name(towns[a].name)[:1]}{short_name(towns[int(b)].name)[:1]}线")
    k = 0
    for t in partition.townships.values():
        spots = [s for s in settlements if s.township_code == t.code and s.kind != "city"]
        nodes = np.array([t.seat, *[(s.x, s.y) for s in spots]])
        for a, b in _mst(nodes):
            k += 1
            _add_road(net, r, tuple(nodes[a]), tuple(nodes[b]), "township", f"Y{k:03d}", None)
    return net


def _add_road(net: Network, r: np.random.Generator, a: tuple, b: tuple, cls: str, code: str,
              name: str | None) -> None:
    length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    if length < 50:
        return
    amp = min(0.04 * length, 400.0)
    line = _clip(_wiggle([tuple(a), tuple(b)], r, amp, 120))
    for seg in _segments(line):
        net.roads.append({"name": f"{name}{TAG}" if name else None, "road_code": code, "road_class": cls,
                          "geom": seg})


def _plain_part(line: BaseGeometry) -> BaseGeometry:
    """The part of a line that runs across the plain (where embankments are built)."""
    line = _clip(line)
    parts = []
    for part in getattr(line, "geoms", [line]):
        if part.is_empty:
            continue
        xy = np.array(part.coords)
        low = elevation(xy[:, 0], xy[:, 1]) < PLAIN_EMBANKMENT_MAX_M
        run: list = []
        for p, ok in zip(xy, low, strict=True):
            if ok:
                run.append(p)
            elif len(run) > 1:
                parts.append(LineString(run))
                run = []
            else:
                run = []
        if len(run) > 1:
            parts.append(LineString(run))
    return MultiLineString(parts) if parts else MultiLineString()
