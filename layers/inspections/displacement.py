"""Marker displacement in EPSG:4550 metres, the tolerance it is checked against, and the positions
shown to surveyors (CGCS2000 lon/lat, EPSG:4550 and EPSG:4529 with the zone prefix).

>>> d = displacement((122.75, 40.85), (122.75001, 40.85))
>>> d.metres, d.dx_m, d.dy_m
(0.8433, 0.8433, -0.0024)
>>> exceeds(d.metres, 1.0), exceeds(1.004, 1.0), exceeds(1.006, 1.0), exceeds(None, 1.0)
(False, False, True, False)
>>> grid_positions(122.75, 40.85)["e_4550"], grid_positions(122.75, 40.85)["y_4529"]
(478918.58, 41478918.58)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from formats.srids import METRIC_CRS, STORAGE_CRS
from layers.geometry import transformer

DEFAULTS_FILE = Path(__file__).resolve().parents[2] / "data" / "inspections" / "defaults.json"
ZONE_PREFIX_M = 41_000_000.0  # EPSG:4529 = EPSG:4550 with the zone number 41 before the easting


@cache
def defaults() -> dict[str, Any]:
    """The shipped defaults with their basis (``data/inspections/defaults.json``)."""
    return json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))


def default_tolerance() -> tuple[float, str]:
    """(tolerance in metres, where it comes from).

    >>> default_tolerance()[0]
    1.0
    """
    item = defaults()["displacement_tolerance_m"]
    return float(item["value"]), item["basis"]


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:4490 lon/lat → EPSG:4550 easting/northing."""
    return transformer(STORAGE_CRS, METRIC_CRS).transform(lon, lat)


@dataclass(frozen=True)
class Displacement:
    metres: float
    dx_m: float  # east component, measured minus registered
    dy_m: float  # north component


def displacement(registered: tuple[float, float], measured: tuple[float, float]) -> Displacement:
    """Distance from the registered to the measured position (lon/lat, EPSG:4490), in EPSG:4550 metres,
    rounded to 0.1 mm (output is shown to the centimetre).
    """
    e0, n0 = to_metric(*registered)
    e1, n1 = to_metric(*measured)
    dx, dy = e1 - e0, n1 - n0
    return Displacement(round(math.hypot(dx, dy), 4), round(dx, 4), round(dy, 4))


def centimetres(value: float | None) -> float | None:
    """A distance as shown and compared: metres to 0.01 m.

    >>> centimetres(1.23456), centimetres(None)
    (1.23, None)
    """
    return None if value is None else round(value, 2)


def exceeds(metres: float | None, tolerance_m: float) -> bool:
    """Whether a displacement (taken to the centimetre) is above the tolerance."""
    shown = centimetres(metres)
    return shown is not None and shown > tolerance_m


def grid_positions(lon: float, lat: float) -> dict[str, float]:
    """A position as the registers write it: lon/lat (CGCS2000), EPSG:4550 and EPSG:4529 (prefixed)."""
    e, n = to_metric(lon, lat)
    return {"lon": round(lon, 8), "lat": round(lat, 8), "e_4550": round(e, 2), "n_4550": round(n, 2),
            "y_4529": round(e + ZONE_PREFIX_M, 2), "x_4529": round(n, 2)}


def offset_position(lon: float, lat: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` from (lon, lat) on a grid bearing (clockwise from grid north, EPSG:4550).

    Used to place reference objects (方位物) approximately on the field map; grid and true north
    differ by the meridian convergence (under 0.5° in Haicheng).
    """
    e, n = to_metric(lon, lat)
    rad = math.radians(bearing_deg)
    x, y = e + distance_m * math.sin(rad), n + distance_m * math.cos(rad)
    return transformer(METRIC_CRS, STORAGE_CRS).transform(x, y)
