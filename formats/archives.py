"""Zip uploads (zipped Shapefiles, XLSX workbooks): bounded before anything unpacks them.

A Shapefile's parts are copied out of the zip under generated names (``upload.shp`` …) so that
GDAL opens a plain local file — no ``/vsizip/`` path built from member names the sender chose.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from formats.errors import FileRefused, size_text

MAX_MEMBERS = 1000  # local parameter: a Shapefile has ≤ 8 parts, a workbook a few dozen
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SHP_MAGIC = b"\x00\x00\x27\x0a"  # ESRI Shapefile Technical Description (1998), main file header: file code 9994
# the key our Shapefile exports carry (formats.vectors.to_shapefile_zip): dBASE column → field name
FIELD_KEY_MEMBER = "字段说明.csv"
FIELD_KEY_FILE = "upload-fields.csv"
XLSX_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")  # ECMA-376 Part 2 (OPC) and Part 1 §12.3.23


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]


def check_zip(path: Path, filename: str, kind: str, unpacked_limit: int) -> None:
    """A readable zip, not encrypted, with at most :data:`MAX_MEMBERS` files and ``unpacked_limit`` bytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRefused(f"“{filename}”不是有效的 zip 压缩包，或文件已损坏", f"{filename}: not a zip file") from None
    if len(members) > MAX_MEMBERS:
        raise FileRefused(f"压缩包“{filename}”含 {len(members)} 个文件，超过上限 {MAX_MEMBERS}",
                          f"{filename}: {len(members)} members")
    if any(i.flag_bits & 0x1 for i in members):
        raise FileRefused(f"压缩包“{filename}”已加密，无法读取", f"{filename}: encrypted")
    unpacked = sum(i.file_size for i in members)
    if unpacked > unpacked_limit:
        raise FileRefused(f"压缩包“{filename}”解压后过大（{size_text(unpacked)}，上限 {size_text(unpacked_limit)}）",
                          f"{filename}: {unpacked} bytes unpacked")
    if kind == "xlsx" and not all(name in {i.filename for i in members} for name in XLSX_REQUIRED):
        raise FileRefused(f"文件“{filename}”不是有效的 Excel（XLSX）工作簿", f"{filename}: no workbook in the zip")


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, filename: str) -> None:
    """Unpack one member to ``target`` in chunks (at most its declared size, which check_zip bounded)."""
    try:
        with archive.open(info) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
        raise FileRefused(f"压缩包“{filename}”已损坏，无法解压", f"{filename}: cannot unpack a member") from None


def extract_shapefile(path: Path, folder: Path, filename: str) -> Path:
    """The zip's one Shapefile, copied to ``folder/upload.shp`` (+ .shx/.dbf/.prj/.cpg, and the field key
    of our exports as :data:`FIELD_KEY_FILE`); returns the .shp.
    """
    with zipfile.ZipFile(path) as archive:
        members = _members(archive)
        shapes = [i for i in members if i.filename.lower().endswith(".shp")]
        if not shapes:
            raise FileRefused(f"压缩包“{filename}”中没有 .shp 文件：请把 .shp、.shx、.dbf、.prj 一起压缩上传",
                              f"{filename}: no .shp in the zip")
        if len(shapes) > 1:
            raise FileRefused(f"压缩包“{filename}”中有 {len(shapes)} 个 Shapefile：一次只能上传一个",
                              f"{filename}: {len(shapes)} shapefiles in the zip")
        stem = str(PurePosixPath(shapes[0].filename).with_suffix("")).lower()
        for info in members:
            member = PurePosixPath(info.filename)
            suffix = member.suffix.lower()
            if suffix in SHAPEFILE_PARTS and str(member.with_suffix("")).lower() == stem:
                _copy_member(archive, info, folder / f"upload{suffix}", filename)
            elif member.name == FIELD_KEY_MEMBER:
                _copy_member(archive, info, folder / FIELD_KEY_FILE, filename)
    path.unlink()
    shp = folder / "upload.shp"
    with shp.open("rb") as f:
        if f.read(4) != SHP_MAGIC:
            raise FileRefused(f"压缩包“{filename}”中的 .shp 不是有效的 Shapefile", f"{filename}: bad .shp header")
    return shp


def shapefile_field_names(shp: Path) -> dict[str, str]:
    """The field name of each dBASE column, from the key beside ``shp`` (our exports' 字段说明.csv), else {}.

    dBASE cuts column names to 10 characters; the key gives the full names back, so an export
    imports again without a mapping. Only rows of the export's form are taken (3 cells, a known header).
    """
    key = shp.parent / FIELD_KEY_FILE
    if not key.exists():
        return {}
    try:
        rows = list(csv.reader(io.StringIO(key.read_text("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        return {}
    if not rows or rows[0][:2] != ["dbf字段", "字段名"]:
        return {}
    return {row[0]: row[1] for row in rows[1:] if len(row) >= 2 and row[0] and row[1]}
