"""The coordinate reference systems the project speaks, by EPSG code: the one place they are written.

Code names these constants; SQL gets them as bind parameters or, where a bind cannot go (a column
type in DDL, a statement text built once), formatted into the statement. ``tests/test_constants.py``
fails when a bare 4490 or 4550 appears elsewhere.
"""

from __future__ import annotations

# CGCS2000 lon/lat: every stored geometry, GeoJSON in and out, the GiST indexes (DOMAIN.md §2).
STORAGE_SRID = 4490
# CGCS2000 / 3-degree Gauss-Kruger CM 123E: distances, buffers, areas and printed sheets, in metres.
METRIC_SRID = 4550
# CGCS2000 / 3-degree Gauss-Kruger zone 41: the same grid with the zone number before the easting,
# as boundary-marker registers and surveyors' files write it.
SURVEY_ZONE_SRID = 4529
# WGS 84 lon/lat: GPS files, KML and clients that send it; differs from CGCS2000 by centimetres.
WGS84_SRID = 4326
# Web Mercator: vector and raster tile envelopes (ST_TileEnvelope).
WEB_MERCATOR_SRID = 3857


def epsg(srid: int) -> str:
    """The ``EPSG:n`` name pyproj and the CRS parameters take.

    >>> epsg(METRIC_SRID)
    'EPSG:4550'
    """
    return f"EPSG:{srid}"


STORAGE_CRS = epsg(STORAGE_SRID)
METRIC_CRS = epsg(METRIC_SRID)
SURVEY_ZONE_CRS = epsg(SURVEY_ZONE_SRID)
WGS84_CRS = epsg(WGS84_SRID)
