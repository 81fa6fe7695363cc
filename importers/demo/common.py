"""Shared pieces of the demo generator: seed, label, paths, coordinate transforms, random streams.

Generators work in EPSG:4550 metres (x = easting, y = northing); the loader stores EPSG:4490.
Every random stream is derived from the one fixed seed and the stage name, so a stage's rows do
not change when another stage draws more or fewer numbers.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from formats.srids import METRIC_CRS, STORAGE_CRS
from layers.geometry import reproject, transformer

SEED = 20240416
GENERATOR_VERSION = "2"  # bump whenever a change to the generator changes any row
SOURCE = "demo"
LABEL = "示例数据"
TAG = f"（{LABEL}）"  # appended to synthetic names
DATASET = "haicheng-demo"

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "haicheng"
DEMO_DATA = ROOT / "data" / "demo"

# Demo rows get ids from a reserved range so that reloads give the same ids and user rows
# (numbered by the identity sequence from 1) never collide with them.
ID_BASE = 900_000_000
CITY_CENTRE_LONLAT = (122.69, 40.88)


def fingerprint() -> str:
    """Identifies the dataset a load produced: generator version + seed."""
    return hashlib.sha256(f"{DATASET}:{GENERATOR_VERSION}:{SEED}".encode()).hexdigest()[:16]


def rng(stage: str) -> np.random.Generator:
    """The random stream of one stage, independent of the other stages."""
    return np.random.default_rng([SEED, zlib.crc32(stage.encode())])


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    return reproject(geom, STORAGE_CRS, METRIC_CRS)


def to_lonlat(geom: Any) -> Any:
    """EPSG:4550 → EPSG:4490 for one geometry or an array of them."""
    return reproject(geom, METRIC_CRS, STORAGE_CRS)


def metric_xy(lon: float, lat: float) -> tuple[float, float]:
    x, y = transformer(STORAGE_CRS, METRIC_CRS).transform(lon, lat)
    return float(x), float(y)


@cache
def county_outline_lonlat() -> BaseGeometry:
    data = json.loads((REFERENCE / "boundary.geojson").read_text(encoding="utf-8"))
    return shape(data["features"][0]["geometry"])


@cache
def county_outline() -> BaseGeometry:
    """The real county outline in EPSG:4550."""
    return to_metric(county_outline_lonlat())


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str


@cache
def divisions() -> tuple[Division, ...]:
    with (REFERENCE / "divisions.csv").open(encoding="utf-8") as f:
        return tuple(Division(r["code"], r["name"], r["level"], r["parent_code"]) for r in csv.DictReader(f))


def short_name(name: str) -> str:
    """海州街道 → 海州, 东响社区 → 东响, 秦家堡村委会 → 秦家堡村."""
    for suffix, keep in (("村委会", "村"), ("居委会", ""), ("社区", ""), ("街道", ""), ("镇", ""), ("乡", "")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + keep
    return name


def village_labels(partition: Any) -> dict[str, str]:
    """Village code → its short name, with the township's in front where two villages share a name:
    the names of the layers named after villages are natural keys (unique among live rows).
    """
    counts: dict[str, int] = {}
    for v in partition.villages.values():
        counts[short_name(v.name)] = counts.get(short_name(v.name), 0) + 1
    return {v.code: (short_name(partition.townships[v.parent].name) if counts[short_name(v.name)] > 1 else "")
            + short_name(v.name) for v in partition.villages.values()}


@dataclass
class Table:
    """Rows of one layer table; ``geom`` is a shapely geometry in EPSG:4550."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, geom: BaseGeometry, **values: Any) -> int:
        row_id = ID_BASE + len(self.rows) + 1
        self.rows.append({"id": row_id, **values, "geom": geom})
        return row_id

    def __len__(self) -> int:
        return len(self.rows)


def sample_points(rng_: np.random.Generator, polygon: BaseGeometry, n: int, batch: int = 256) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``polygon`` by rejection, deterministic for a stream."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    out: list[np.ndarray] = []
    count = 0
    for _ in range(10_000):
        if count >= n:
            break
        xy = np.column_stack([rng_.uniform(minx, maxx, batch), rng_.uniform(miny, maxy, batch)])
        keep = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        out.append(keep)
        count += len(keep)
    if count < n:
        raise ValueError("polygon too small to sample")
    return np.vstack(out)[:n]
