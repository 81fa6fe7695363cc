"""Settlements: the built-up spots of the demo (city, town seats, village seats and hamlets).

Households live here, farmland keeps out of here, and settlement place names point here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point

from importers.demo.common import metric_xy, rng, sample_points
from importers.demo.partition import Partition

CITY_RADIUS_M = 2600.0


@dataclass(frozen=True)
class Settlement:
    village_code: str
    township_code: str
    x: float
    y: float
    radius: float
    kind: str  # city | seat | village | hamlet
    weight: float  # share of the households


def build_settlements(partition: Partition) -> list[Settlement]:
    r = rng("settlements")
    cx, cy = metric_xy(122.69, 40.88)
    out: list[Settlement] = [Settlement("", "210381001", cx, cy, CITY_RADIUS_M, "city", 0.0)]
    for v in partition.villages.values():
        town = partition.townships[v.parent]
        is_seat = getattr(town, "seat_village", None) == v.code
        if town.kind == "subdistrict":
            radius, weight = (500.0, v.population / 2.0)
            kind = "seat" if is_seat else "village"
        else:
            radius = 900.0 if is_seat else 330.0
            weight = v.population * (1.4 if is_seat else 0.6)
            kind = "seat" if is_seat else "village"
        x, y = v.seat
        if not v.geom.contains(Point(x, y)):
            p = v.geom.representative_point()
            x, y = p.x, p.y
        out.append(Settlement(v.code, v.parent, float(x), float(y), radius, kind, weight))
        if town.kind == "subdistrict":
            continue
        inner = v.geom.buffer(-400)
        if inner.is_empty or inner.area < 1e6:
            continue
        n = int(r.integers(1, 4))
        for hx, hy in sample_points(r, inner, n):
            if np.hypot(hx - x, hy - y) < 900:
                continue
            out.append(Settlement(v.code, v.parent, float(hx), float(hy), 180.0, "hamlet", v.population * 0.15))
    return out


def settlement_area(settlements: list[Settlement], margin: float = 0.0) -> shapely.Geometry:
    """The union of all settlement discs (plus ``margin``), EPSG:4550."""
    return shapely.union_all([Point(s.x, s.y).buffer(s.radius + margin, 16) for s in settlements])
