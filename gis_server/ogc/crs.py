"""Coordinate reference systems of the OGC API (Part 2, "CRS by reference").

The features are stored in EPSG:4490 (CGCS2000, lon/lat). CRS84 and EPSG:4490 differ only in axis
order (CGCS2000 and WGS 84 agree to centimetres: the null transform that PROJ applies, as the
service's own API does); EPSG:4490 lists latitude first, and so do the two Gauss-Krüger CRSs of the
county (northing first), as the EPSG registry defines them. Axis order is read from PROJ, not written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pyproj import CRS, Transformer
from shapely import Geometry, ops

from formats.srids import METRIC_SRID, STORAGE_SRID, SURVEY_ZONE_SRID
from layers.errors import InvalidInput

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
STORAGE_CRS = EPSG_URI.format(code=STORAGE_SRID)


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int  # PostGIS SRID of the coordinates sent and received
    flipped: bool  # axis order differs from x/y (lat/lon, northing/easting)
    projected: bool

    @property
    def decimals(self) -> int:
        return 3 if self.projected else 9  # a millimetre; 1e-9 degree is 0.1 mm


def _make(uri: str, srid: int) -> Crs:
    crs = CRS.from_epsg(srid)
    first = crs.axis_info[0].direction.lower()
    return Crs(uri, srid, flipped=uri != CRS84 and first == "north", projected=crs.is_projected)


@cache
def supported() -> dict[str, Crs]:
    """Every CRS a client may ask for, by URI: CRS84 first (the default)."""
    out = {CRS84: _make(CRS84, STORAGE_SRID)}
    for code in (STORAGE_SRID, METRIC_SRID, SURVEY_ZONE_SRID):
        out[EPSG_URI.format(code=code)] = _make(EPSG_URI.format(code=code), code)
    return out


def parse_crs(value: str | None, parameter: str) -> Crs:
    """The CRS named by a URI (or ``EPSG:nnnn``, ``[EPSG:nnnn]``); CRS84 when not given."""
    if not value:
        return supported()[CRS84]
    name = value.strip().strip("<>[]")
    if name.upper().startswith("EPSG:"):
        name = EPSG_URI.format(code=name[5:])
    if name.upper() in ("CRS84", "OGC:CRS84"):
        name = CRS84
    found = supported().get(name)
    if found is None:
        raise InvalidInput(f"参数 {parameter} 的坐标系“{value}”不受支持，可用：" + "、".join(supported()),
                           f"unsupported {parameter} {value!r}", field=parameter)
    return found


@cache
def _to_storage(srid: int) -> Transformer:
    return Transformer.from_crs(srid, STORAGE_SRID, always_xy=True)


def bbox_to_storage(bbox: tuple[float, float, float, float], crs: Crs) -> tuple[float, float, float, float]:
    """A bbox given in ``crs`` (in its axis order) as lon/lat in EPSG:4490, densified edges included."""
    minx, miny, maxx, maxy = (bbox[1], bbox[0], bbox[3], bbox[2]) if crs.flipped else bbox
    if crs.srid == STORAGE_SRID:
        return minx, miny, maxx, maxy
    out = _to_storage(crs.srid).transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    return out[0], out[1], out[2], out[3]


def geometry_to_storage(geom: Geometry, crs: Crs) -> Geometry:
    """A geometry given in ``crs`` (its axis order) as lon/lat in EPSG:4490."""
    if crs.flipped:
        geom = ops.transform(lambda x, y, *z: (y, x), geom)
    if crs.srid == STORAGE_SRID:
        return geom
    return ops.transform(_to_storage(crs.srid).transform, geom)


def geometry_sql(crs: Crs) -> str | None:
    """The GeoJSON text of the geometry column ``{g}`` in ``crs`` (None: the stored lon/lat, as stored)."""
    if crs.uri == CRS84:
        return None
    geom = "{g}" if crs.srid == STORAGE_SRID else f"ST_Transform({{g}}, {crs.srid})"
    if crs.flipped:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {crs.decimals}, 0)"


def header(crs: Crs) -> str:
    return f"<{crs.uri}>"
