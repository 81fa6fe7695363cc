"""Photos of markers and inspection records: stored once by SHA-256, checked, thumbnailed, resumable.

Files live under ``<data_dir>/photos``: ``ab/abcdef….jpg`` (content-addressed), ``thumbs/<sha>.jpg``
and ``partial/<sha>.part`` while an upload is in progress. An upload is resumable: the client asks
how many bytes arrived (``offset``) and sends the rest; it is accepted only when the SHA-256 of all
the bytes is the one announced. Uploading the same photo again is harmless (same row, same file).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import Conflict, InvalidInput, NotFound

MAX_PHOTO_BYTES = 40 * 1024 * 1024
THUMB_SIZE = (320, 320)
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heif",
               "MPO": "image/jpeg"}
_SHA = re.compile(r"^[0-9a-f]{64}$")


def check_sha(sha256: str) -> str:
    value = (sha256 or "").strip().lower()
    if not _SHA.match(value):
        raise InvalidInput("校验和应为 64 位十六进制 SHA-256", "sha256 must be 64 hex digits", field="sha256")
    return value


@dataclass(frozen=True)
class PhotoStore:
    root: Path

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def thumb(self, sha: str) -> Path:
        return self.root / "thumbs" / f"{sha}.jpg"

    def partial(self, sha: str) -> Path:
        return self.root / "partial" / f"{sha}.part"

    def has(self, sha: str) -> bool:
        return self.path(sha).exists()

    def offset(self, sha: str) -> int:
        """Bytes received so far (the full size once complete)."""
        sha = check_sha(sha)
        if self.has(sha):
            return self.path(sha).stat().st_size
        part = self.partial(sha)
        return part.stat().st_size if part.exists() else 0

    def append(self, sha: str, offset: int, chunk: bytes, total: int) -> int:
        """Append a chunk at ``offset``; when ``total`` bytes are in, check and store. Returns the new offset."""
        sha = check_sha(sha)
        if self.has(sha):
            return self.path(sha).stat().st_size
        if not 0 < total <= MAX_PHOTO_BYTES:
            raise InvalidInput(f"照片大小应在 1 字节到 {MAX_PHOTO_BYTES // 1048576} MB 之间", "bad upload length")
        current = self.offset(sha)
        if offset != current:
            raise Conflict(f"续传位置不符：服务器已收到 {current} 字节", f"offset mismatch, server has {current}",
                           offset=current)
        if current + len(chunk) > total:
            raise InvalidInput("上传的数据超过声明的大小", "chunk exceeds the announced length")
        part = self.partial(sha)
        part.parent.mkdir(parents=True, exist_ok=True)
        with part.open("ab") as f:
            f.write(chunk)
        size = part.stat().st_size
        if size == total:
            data = part.read_bytes()
            part.unlink()
            self.put(sha, data)
        return size

    def put(self, sha: str, data: bytes) -> dict[str, Any]:
        """Check the checksum and the image, then store the file and its thumbnail; returns image facts."""
        sha = check_sha(sha)
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            raise InvalidInput("照片校验和不符：文件在传输中损坏或不完整，请重新上传",
                               f"checksum mismatch: announced {sha}, received {actual}", field="sha256",
                               received_sha256=actual)
        facts = image_facts(data)
        target = self.path(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)  # atomic: a reader never sees half a photo
        if not self.thumb(sha).exists():
            self.thumb(sha).parent.mkdir(parents=True, exist_ok=True)
            self.thumb(sha).write_bytes(thumbnail(data))
        return facts

    def facts(self, sha: str) -> dict[str, Any]:
        return image_facts(self.path(sha).read_bytes())


def image_facts(data: bytes) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            return {"media_type": MEDIA_TYPES.get(image.format or "", "application/octet-stream"),
                    "width": image.width, "height": image.height, "size": len(data)}
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise InvalidInput("文件不是可识别的图片（JPEG/PNG/WebP）", "not an image", field="file") from None


def thumbnail(data: bytes) -> bytes:
    """A JPEG at most 320 px on its long side, turned upright by its EXIF orientation."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        small = ImageOps.exif_transpose(image).convert("RGB")
        small.thumbnail(THUMB_SIZE)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
        return out.getvalue()


def photo_target(conn: Connection, *, record_id: int | None = None, marker_id: int | None = None) -> int:
    """The marker a photo of record ``record_id`` (or of marker ``marker_id``) belongs to; NotFound if none."""
    if record_id is not None:
        found = conn.execute(text("SELECT marker_id FROM inspection_records WHERE id = :id AND retired_at IS NULL"),
                             {"id": record_id}).scalar()
        if found is None:
            raise NotFound(f"没有编号为 {record_id} 的检查记录", f"record {record_id} not found")
        return int(found)
    if conn.execute(text("SELECT 1 FROM boundary_markers WHERE id = :id AND retired_at IS NULL"),
                    {"id": marker_id}).first() is None:
        raise NotFound(f"没有编号为 {marker_id} 的界桩", f"marker {marker_id} not found")
    return int(marker_id)  # type: ignore[arg-type]


def attach(conn: Connection, store: PhotoStore, sha: str, name: str, uploaded_by: str, *,
           record_id: int | None = None, marker_id: int | None = None) -> tuple[dict[str, Any], bool]:
    """Link a stored photo to a record (and its marker) or to a marker; (photo, created). Idempotent."""
    sha = check_sha(sha)
    if not store.has(sha):
        raise NotFound("照片尚未完整上传，请先上传文件", f"photo {sha} has not been uploaded", sha256=sha)
    name = Path(str(name or sha)).name[:200]
    marker_id = photo_target(conn, record_id=record_id, marker_id=marker_id)
    if record_id is not None:
        existing = conn.execute(text("SELECT id FROM inspection_photos WHERE record_id = :r AND sha256 = :s"),
                                {"r": record_id, "s": sha}).scalar()
    else:
        existing = conn.execute(text("SELECT id FROM inspection_photos WHERE record_id IS NULL AND marker_id = :m "
                                     "AND sha256 = :s"), {"m": marker_id, "s": sha}).scalar()
    if existing is not None:
        return get_photo(conn, existing), False
    facts = store.facts(sha)
    photo_id = conn.execute(text(
        "INSERT INTO inspection_photos (sha256, name, record_id, marker_id, size, media_type, width, height, "
        "uploaded_by) VALUES (:s, :n, :r, :m, :size, :mt, :w, :h, :by) RETURNING id"),
        {"s": sha, "n": name, "r": record_id, "m": marker_id, "size": facts["size"], "mt": facts["media_type"],
         "w": facts["width"], "h": facts["height"], "by": uploaded_by}).scalar_one()
    return get_photo(conn, photo_id), True


def get_photo(conn: Connection, photo_id: int) -> dict[str, Any]:
    row = conn.execute(text("SELECT id, sha256, name, record_id, marker_id, size, media_type, width, height, "
                            "uploaded_at, uploaded_by FROM inspection_photos WHERE id = :id"),
                       {"id": photo_id}).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {photo_id} 的照片", f"photo {photo_id} not found")
    out = dict(row)
    out["uploaded_at"] = out["uploaded_at"].isoformat()
    out["url"] = f"/api/inspections/photos/{photo_id}"
    out["thumbnail_url"] = f"/api/inspections/photos/{photo_id}/thumbnail"
    return out


def campaign_photos(conn: Connection, campaign_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(text(
        "SELECT p.id, p.name, p.sha256, p.size, p.record_id, m.id AS marker_id, m.number AS marker_number, "
        "l.name AS line_name FROM inspection_photos p JOIN inspection_records r ON r.id = p.record_id "
        "JOIN boundary_markers m ON m.id = r.marker_id JOIN boundary_lines l ON l.id = m.line_id "
        "WHERE r.campaign_id = :c AND r.retired_at IS NULL ORDER BY l.id, m.number, p.id"), {"c": campaign_id})
    return [dict(r) for r in rows.mappings()]
