"""Reading features with GDAL (through pyogrio) from a received upload, by its one declared driver.

The process keeps only plain file drivers (``formats.lockdown``) and the content was checked
against the declared format (``formats.opening``); here the driver GDAL actually picked is checked
too before any feature is read, and every GDAL failure becomes a :class:`FileRefused` that names the
file, never GDAL's text (which can quote the file).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import pyogrio

from formats.errors import FileRefused
from formats.opening import Upload

if TYPE_CHECKING:
    import geopandas as gpd

T = TypeVar("T")


def crs_name(crs: Any) -> str | None:
    """``EPSG:n`` of a file's CRS, its own text when it has no EPSG code, None when it has none."""
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()


def unreadable(upload: Upload) -> FileRefused:
    return FileRefused(f"文件“{upload.filename}”无法读取：不是有效的 {upload.format.label} 文件，或文件已损坏",
                       f"{upload.filename}: cannot read as {upload.format.label}")


def _gdal(upload: Upload, call: Callable[[], T]) -> T:
    try:
        return call()
    except FileRefused:
        raise
    except Exception:  # GDAL and pandas raise many types for damaged files; their text may quote the file
        raise unreadable(upload) from None


def layers_of(upload: Upload) -> dict[str, int]:
    """Layer name → feature count (−1 where the driver cannot tell cheaply), opened by the declared driver."""
    if upload.format.driver is None:
        raise ValueError(f"{upload.format.label} is not read with GDAL")
    names = _gdal(upload, lambda: [str(name) for name, _ in pyogrio.list_layers(upload.path)])
    counts = {}
    for name in names:
        info: dict[str, Any] = _gdal(upload, partial(pyogrio.read_info, upload.path, layer=name))
        if info.get("driver") != upload.format.driver:  # never expected after the content check; fail closed
            raise FileRefused(f"文件“{upload.filename}”的内容不是 {upload.format.label} 格式",
                              f"{upload.filename}: opened by {info.get('driver')}, not {upload.format.driver}")
        counts[name] = int(info.get("features", -1))
    return counts


def too_many(upload: Upload, max_rows: int) -> FileRefused:
    return FileRefused(f"文件“{upload.filename}”超过 {max_rows} 行（要素），超出单次导入上限 {max_rows}：请分批导入",
                       f"{upload.filename}: more than {max_rows} rows")


def read_features(upload: Upload, layer: str | None = None, max_rows: int | None = None,
                  **options: Any) -> gpd.GeoDataFrame:
    """One layer (the only one when ``layer`` is None) as a GeoDataFrame with its CRS.

    With ``max_rows``, a layer with more features is refused and at most ``max_rows`` + 1 are read.
    ``options`` go to :func:`pyogrio.read_dataframe` (``read_geometry``, ``fid_as_index`` …).
    """
    counts = layers_of(upload)
    if not counts:
        raise FileRefused(f"文件“{upload.filename}”中没有图层（要素）", f"{upload.filename}: no layers")
    if layer is None:
        if len(counts) != 1:
            raise FileRefused(f"文件“{upload.filename}”含 {len(counts)} 个图层：请只保留一个图层",
                              f"{upload.filename}: {len(counts)} layers")
        layer = next(iter(counts))
    elif layer not in counts:
        raise FileRefused(f"文件“{upload.filename}”中没有图层“{layer}”", f"{upload.filename}: no layer {layer!r}")
    if max_rows is not None and counts[layer] > max_rows:
        raise too_many(upload, max_rows)
    limit = {} if max_rows is None else {"max_features": max_rows + 1}
    frame = _gdal(upload, lambda: pyogrio.read_dataframe(upload.path, layer=layer, **limit, **options))
    if max_rows is not None and len(frame) > max_rows:
        raise too_many(upload, max_rows)
    return frame
