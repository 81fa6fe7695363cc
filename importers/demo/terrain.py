"""A synthetic elevation model: plain in the north-west, hills rising to the south-east.

Haicheng is high in the south-east (hills 60–500 m) and flat in the north-west (DOMAIN.md §1).
The model is a smooth deterministic function of EPSG:4550 coordinates; it decides where the
farmland, hills, scenic areas and hill cemeteries of the demo go.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from importers.demo.common import metric_xy, rng

PLAIN_MAX_M = 30.0  # below this the land counts as plain (farmland, plain towns)
HILL_MIN_M = 80.0


@cache
def _ridges() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r = rng("terrain")
    n = 60
    # hill centres scattered over the south-east half
    cx0, cy0 = metric_xy(122.98, 40.70)
    cx = cx0 + r.normal(0, 16_000, n)
    cy = cy0 + r.normal(0, 13_000, n)
    height = r.uniform(60, 260, n)
    radius = r.uniform(2_500, 7_000, n)
    return cx, cy, height, radius


def elevation(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """Elevation in metres at EPSG:4550 points."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ox, oy = metric_xy(122.69, 40.88)
    # regional tilt: distance along the NW→SE axis from the city, rising past it
    along = ((x - ox) * 0.72 - (y - oy) * 0.69) / 1000.0  # km towards the south-east
    base = 8.0 + np.clip(along, 0, None) * 4.5 + np.clip(along, None, 0) * 0.15
    cx, cy, height, radius = _ridges()
    bumps = np.zeros_like(x)
    for i in range(len(cx)):
        d2 = ((x - cx[i]) ** 2 + (y - cy[i]) ** 2) / radius[i] ** 2
        bumps = bumps + height[i] * np.exp(-d2)
    # hills only where the tilt has lifted the land
    weight = np.clip((along + 2.0) / 12.0, 0, 1)
    return np.maximum(2.0, base + bumps * weight)
