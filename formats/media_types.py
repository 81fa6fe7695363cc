"""The media type of each file format the service sends, named once (IANA registrations where they exist)."""

from __future__ import annotations

GEOJSON = "application/geo+json"  # RFC 7946
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "geojson": GEOJSON,
    "gpkg": "application/geopackage+sqlite3",
    "gpx": "application/gpx+xml",
    "html": "text/html; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "pdf": "application/pdf",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
XLSX = MEDIA_TYPES["xlsx"]
PDF = MEDIA_TYPES["pdf"]
