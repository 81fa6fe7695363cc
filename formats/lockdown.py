"""Switch off, for the whole process, every way an uploaded file could make GDAL read elsewhere.

GDAL opens a dataset by its content, not its name, and some formats are recipes that read other
files or URLs: a VRT (``OGR_VRT``) names a source file (``/etc/passwd``, ``/vsicurl/http://…``), a
GDALG file runs a pipeline, network drivers (WFS, OAPIF, HTTP, Elasticsearch …) fetch URLs, and
GPSBabel runs a program. So the process keeps only the drivers of plain local file formats and
refuses every ``/vsicurl/``-style network path, whoever asks (an importer, a test, a future
pipeline). Called on import of ``formats`` and again by the app factory and the CLI; idempotent.

GDAL reads ``GDAL_SKIP`` when drivers are registered (``GDALAllRegister`` → ``AutoSkipDrivers``),
and pyogrio registers them when it is imported — so after setting it we register once more, which
deregisters the skipped drivers, and then check that they are gone (fail closed). The app factory
and the CLI call this at start, before any upload is read; a call on a locked-down process only
sets the options again.
"""

from __future__ import annotations

import os
import warnings

# The only GDAL drivers the process keeps: plain local files, no references to other files or URLs.
# GeoJSON/KML/GeoPackage/Shapefile: site uploads and place-name imports; GPKG/GPX: field packages
# and results; CSV/FlatGeobuf: plain tables and features for the general import pipeline; MEM: in-memory.
KEPT_DRIVERS = frozenset({"GeoJSON", "KML", "GPKG", "ESRI Shapefile", "GPX", "CSV", "FlatGeobuf", "MEM"})
# Raster recipe drivers are not vector drivers (pyogrio cannot list them) but are named here too.
ALWAYS_SKIPPED = ("VRT", "OGR_VRT", "GDALG", "GTI", "DERIVED", "HTTP")

# No network at all: /vsicurl/ and its kin (/vsis3/, /vsigs/, /vsiaz/ …) accept only this one
# impossible file name and extension, and whatever still tried would go through a proxy on a
# port nothing listens on (port 9 = discard) with no retry.
NETWORK_OFF = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/nonexistent/network-disabled",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".network-disabled",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no listing of the upload folder for side files
    # SQLite-based formats (GeoPackage): no VirtualOGR tables, no URI file names
    "OGR_SQLITE_LIST_VIRTUAL_OGR": "NO",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "SQLITE_USE_URI": "NO",
}


class LockdownFailed(RuntimeError):
    """GDAL still has a driver it should not have: the process must not open uploads."""


def gdal_options() -> dict[str, str]:
    """The GDAL configuration options of the lock-down (``GDAL_SKIP`` lists every other driver)."""
    import pyogrio

    # registering again brings back the drivers an earlier lock-down skipped: keep skipping them
    earlier = (pyogrio.get_gdal_config_option("GDAL_SKIP") or "").split(",")
    present = (d for d in pyogrio.list_drivers() if d not in KEPT_DRIVERS)
    skipped = sorted({*ALWAYS_SKIPPED, *present, *(d for d in earlier if d and d not in KEPT_DRIVERS)})
    return {**NETWORK_OFF, "GDAL_SKIP": ",".join(skipped), "OGR_SKIP": ",".join(skipped)}


def lock_down_gdal() -> None:
    """Keep only :data:`KEPT_DRIVERS` and switch network access off, for this process and its children."""
    import pyogrio
    from pyogrio import _ogr  # the registration pyogrio itself runs on import (no public name)

    options = gdal_options()
    os.environ.update(options)  # children (and a GDAL loaded later) start locked down too
    pyogrio.set_gdal_config_options(options)
    if not set(pyogrio.list_drivers()) - KEPT_DRIVERS:
        return  # locked down already: registering again would bring every driver back for a moment
    with warnings.catch_warnings():  # "unable to find driver X to unload": X is gone already
        warnings.simplefilter("ignore", RuntimeWarning)
        _ogr._register_drivers()
    left = set(pyogrio.list_drivers()) - KEPT_DRIVERS
    if left:
        raise LockdownFailed(f"GDAL drivers still registered after the lock-down: {sorted(left)}")
