"""Receiving an uploaded file: the declared format from an allow-list, the content checked against
it, and a private temporary copy under a generated name, removed afterwards.

>>> with receive(b'{"type": "FeatureCollection", "features": []}', "选址.geojson", ("geojson",)) as upload:
...     upload.format.driver, upload.path.name, oct(upload.path.parent.stat().st_mode & 0o777)
('GeoJSON', 'upload.geojson', '0o700')
>>> with receive(b'<OGRVRTDataSource/>', "site.geojson", ("geojson",)):
...     pass
Traceback (most recent call last):
...
formats.errors.FileRefused: site.geojson: content is xml:OGRVRTDataSource, not GeoJSON
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from formats.archives import check_zip, extract_shapefile
from formats.errors import FileRefused, size_text
from formats.sniffing import HEAD_BYTES, content_kind


@dataclass(frozen=True)
class FileFormat:
    key: str
    label: str  # as users know it (Chinese messages name it)
    suffixes: tuple[str, ...]
    content: tuple[str, ...]  # what content_kind() must say
    driver: str | None  # the one GDAL driver that opens it; None: read in Python (CSV, XLSX)


FORMATS = {f.key: f for f in (
    FileFormat("geojson", "GeoJSON", (".geojson", ".json"), ("json",), "GeoJSON"),
    FileFormat("kml", "KML", (".kml",), ("xml:kml",), "KML"),
    FileFormat("gpkg", "GeoPackage", (".gpkg",), ("sqlite",), "GPKG"),
    FileFormat("shapefile", "Shapefile", (".zip",), ("zip",), "ESRI Shapefile"),
    FileFormat("gpx", "GPX", (".gpx",), ("xml:gpx",), "GPX"),
    FileFormat("csv", "CSV", (".csv", ".txt"), ("text",), None),
    FileFormat("xlsx", "XLSX", (".xlsx", ".xlsm"), ("zip",), None),
)}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # local parameter; the service passes GIS_UPLOAD_MAX_BYTES
# local parameter: a zip may unpack to at most 10× the upload limit (XLSX sheets compress ~5–10×;
# zip bombs hold thousands×)
UNPACKED_RATIO = 10


@dataclass(frozen=True)
class Upload:
    """A received file: open ``path`` (in a private folder, never the sender's name) as ``format``."""

    filename: str  # as sent, for messages only
    format: FileFormat
    path: Path
    size: int


def suffixes_of(accepted: tuple[str, ...]) -> list[str]:
    return [s for key in accepted for s in FORMATS[key].suffixes]


def declared_format(filename: str, accepted: tuple[str, ...]) -> FileFormat:
    """The format the file's name declares, if this endpoint accepts it."""
    suffix = Path(filename).suffix.lower()
    for key in accepted:
        if suffix in FORMATS[key].suffixes:
            return FORMATS[key]
    labels = "、".join(f"{FORMATS[k].label}（{'/'.join(FORMATS[k].suffixes)}）" for k in accepted)
    raise FileRefused(f"不支持的文件类型“{suffix or '无扩展名'}”：请上传 {labels}", f"unsupported file type {suffix!r}")


def _read_bounded(data: bytes | BinaryIO, max_bytes: int, filename: str) -> bytes:
    content = data if isinstance(data, bytes) else data.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise FileRefused(f"文件“{filename}”过大：上限 {size_text(max_bytes)}",
                          f"{filename}: larger than {max_bytes} bytes")
    if not content:
        raise FileRefused(f"文件“{filename}”是空文件", f"{filename}: empty file")
    return content


def check_content(content: bytes, fmt: FileFormat, filename: str) -> None:
    """Refuse a file whose bytes are not what its name declares (GDAL would open it by its content)."""
    kind = content_kind(content[:HEAD_BYTES])
    if kind not in fmt.content:
        raise FileRefused(f"文件“{filename}”的内容不是 {fmt.label} 格式（文件扩展名与内容不符），或文件已损坏",
                          f"{filename}: content is {kind}, not {fmt.label}")


@contextmanager
def private_folder() -> Iterator[Path]:
    """A folder only this process's user may enter (mode 0700), removed with everything in it."""
    folder = Path(tempfile.mkdtemp(prefix="haicheng-upload-"))  # mkdtemp creates it 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def receive(data: bytes | BinaryIO, filename: str, accepted: tuple[str, ...],
            max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Upload]:
    """Check an upload against the endpoint's ``accepted`` format keys and hold it in a private folder.

    ``data`` is the content or a stream (read up to ``max_bytes`` + 1). Refusals are
    :class:`FileRefused`; the copy is removed when the block ends, however it ends.
    """
    filename = Path(filename or "upload").name
    fmt = declared_format(filename, accepted)
    content = _read_bounded(data, max_bytes, filename)
    check_content(content, fmt, filename)
    with private_folder() as folder:
        path = folder / f"upload{fmt.suffixes[0]}"
        path.write_bytes(content)
        if fmt.content == ("zip",):
            check_zip(path, filename, fmt.key, unpacked_limit=max_bytes * UNPACKED_RATIO)
        if fmt.key == "shapefile":
            path = extract_shapefile(path, folder, filename)
        yield Upload(filename, fmt, path, len(content))
