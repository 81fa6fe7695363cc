"""Backup and restore: one archive with the database, the uploaded files and a manifest to check both.

An archive (``haicheng-gis-<UTC time>.tar``) holds
* ``database.dump`` — ``pg_dump`` custom format, taken as the schema owner;
* ``files/…`` — the uploaded files under the data folder (inspection photos and their thumbnails);
* ``manifest.json`` — the schema version, the row count of every table and the SHA-256 of every
  other member. The counts come from the same snapshot as the dump (``pg_export_snapshot``), so a
  restore can prove it brought back exactly what was saved.

A restore refuses an archive that is corrupt (a checksum differs, a member is missing or extra, a
path leaves the archive), one made by another schema version, and a database that is not empty.
Keys are not in the archive: encrypted ID numbers read back only with the same ``GIS_PERSONAL_DATA_KEY``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from gis_server.cluster import find_pg_bindir
from gis_server.migrate import script_heads
from layers.errors import Conflict, InvalidInput

FORMAT = "haicheng-gis-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
UPLOAD_FOLDERS = ("photos",)  # under the data folder: what users uploaded
ARCHIVE_PATTERN = "haicheng-gis-*.tar"
# extensions are the server's (created by a superuser when the database was provisioned), not the dump's;
# so is PostGIS's table of coordinate systems (the dump carries only rows added by hand: none here)
EXTENSION_TOC_KINDS = (" EXTENSION ", " COMMENT - EXTENSION ", " TABLE DATA public spatial_ref_sys ")


def _conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq conninfo without the password, and the environment that carries it (not the process list)."""
    parsed = make_url(url)
    parts = {"host": parsed.host or "127.0.0.1", "port": str(parsed.port or 5432), "dbname": parsed.database or "",
             "user": parsed.username or ""}
    env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v), env


def _tool(name: str) -> str:
    bindir = find_pg_bindir()
    path = bindir / name if bindir else shutil.which(name)
    if not path or not Path(path).exists():
        raise InvalidInput(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）",
                           f"{name} not found")
    return str(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def schema_head() -> str:
    return ",".join(script_heads())


TABLES = sql.SQL("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' "
                 "ORDER BY tablename")


def _one(conn: psycopg.Connection, query: Any) -> Any:
    row = conn.execute(query).fetchone()
    assert row is not None  # an aggregate or a function call: always one row
    return row[0]


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    names = [row[0] for row in conn.execute(TABLES)]
    return {name: _one(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))) for name in names}


def _upload_files(data_dir: Path) -> Iterator[tuple[Path, str]]:
    for folder in UPLOAD_FOLDERS:
        root = data_dir / folder
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                yield path, f"{FILES}/{path.relative_to(data_dir).as_posix()}"


def backup(owner_url: str, data_dir: Path, target: Path, echo: Callable[[str], None] = print) -> Path:
    """Write one archive into folder ``target``; returns its path."""
    target.mkdir(mode=0o700, parents=True, exist_ok=True)  # the archives hold personal data
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    archive = target / f"haicheng-gis-{stamp}.tar"
    conninfo, env = _conninfo(owner_url)
    with tempfile.TemporaryDirectory(prefix="haicheng-backup-") as work:
        dump = Path(work) / DUMP
        with psycopg.connect(conninfo, **_password(env)) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = _one(conn, "SELECT pg_export_snapshot()")
            counts = table_counts(conn)
            revision = _one(conn, "SELECT version_num FROM alembic_version")
            echo(f"数据库：{len(counts)} 张表，{sum(counts.values())} 行；结构版本 {revision}")
            result = subprocess.run([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                                     f"--file={dump}", f"--dbname={conninfo}"], env=env, capture_output=True,
                                    text=True)
            conn.rollback()
        if result.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {result.stderr.strip()}")
        members = [(dump, DUMP), *_upload_files(data_dir)]
        manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "schema_revision": revision, "tables": counts,
                    "files": {name: _sha256(path) for path, name in members}}
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = archive.with_suffix(".tar.partial")
        partial.touch(mode=0o600)  # readable by the service's user only, like the database it copies
        with tarfile.open(partial, "w") as tar:
            tar.add(Path(work) / MANIFEST, MANIFEST)
            for path, name in members:
                tar.add(path, name)
        partial.rename(archive)  # a crash mid-way leaves no file that looks like a finished backup
    echo(f"上传文件：{len(members) - 1} 个；备份已写入 {archive}")
    return archive


def _password(env: dict[str, str]) -> dict[str, Any]:
    return {"password": env["PGPASSWORD"]} if "PGPASSWORD" in env else {}


def prune(target: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``target``; returns what was deleted."""
    archives = sorted(target.glob(ARCHIVE_PATTERN))
    doomed = archives[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


@contextmanager
def _unpacked(archive: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The archive's members in a private folder, after every check that needs no database."""
    corrupt = "备份文件已损坏或不完整，未做任何更改"
    try:
        tar = tarfile.open(archive)
    except (OSError, tarfile.TarError) as exc:
        raise InvalidInput(corrupt, f"cannot read archive: {exc}") from exc
    with tar, tempfile.TemporaryDirectory(prefix="haicheng-restore-") as work:
        try:
            members = tar.getmembers()
            names = {m.name for m in members}
            unsafe = [m.name for m in members if not m.isfile() or PurePosixPath(m.name).is_absolute()
                      or ".." in PurePosixPath(m.name).parts]
            if unsafe or MANIFEST not in names:
                raise InvalidInput(corrupt, f"unsafe or missing members: {unsafe[:3]}")
            tar.extractall(work, filter="data")
        except (OSError, tarfile.TarError) as exc:
            raise InvalidInput(corrupt, f"cannot unpack archive: {exc}") from exc
        try:
            manifest = json.loads((Path(work) / MANIFEST).read_text(encoding="utf-8"))
            expected = manifest["files"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(corrupt, "unreadable manifest") from exc
        if manifest.get("format") != FORMAT or set(expected) | {MANIFEST} != names or DUMP not in expected:
            raise InvalidInput(corrupt, "members differ from the manifest")
        bad = [name for name, digest in expected.items() if _sha256(Path(work) / name) != digest]
        if bad:
            raise InvalidInput(corrupt, f"checksum mismatch: {bad[:3]}")
        head = schema_head()
        if manifest.get("schema_revision") != head:
            raise InvalidInput(f"备份的数据库结构版本为 {manifest.get('schema_revision')}，本程序为 {head}："
                               "请用相同版本的程序恢复，未做任何更改", "schema version mismatch")
        yield Path(work), manifest


def restore(owner_url: str, data_dir: Path, archive: Path, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Restore ``archive`` into the empty database at ``owner_url`` and its files into ``data_dir``.

    Returns the row counts, checked against the manifest.
    """
    conninfo, env = _conninfo(owner_url)
    with _unpacked(archive) as (work, manifest):
        with psycopg.connect(conninfo, autocommit=True, **_password(env)) as conn:
            if conn.execute(TABLES).fetchone() is not None:
                raise Conflict("目标数据库不是空的：恢复只写入新建的空数据库，未做任何更改", "database not empty")
        toc = subprocess.run([_tool("pg_restore"), "--list", str(work / DUMP)], capture_output=True, text=True,
                             check=True).stdout
        listing = work / "restore.list"
        listing.write_text("\n".join(line for line in toc.splitlines()
                                     if not any(kind in line for kind in EXTENSION_TOC_KINDS)))
        result = subprocess.run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
                                 f"--use-list={listing}", f"--dbname={conninfo}", str(work / DUMP)],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"pg_restore failed: {result.stderr.strip()}")
        with psycopg.connect(conninfo, **_password(env)) as conn:
            counts = table_counts(conn)
        if counts != manifest["tables"]:
            raise RuntimeError(f"restored row counts differ from the manifest: {counts} != {manifest['tables']}")
        restored = 0
        for name in manifest["files"]:
            if name.startswith(f"{FILES}/"):
                destination = data_dir / name.removeprefix(f"{FILES}/")
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(work / name, destination)
                restored += 1
        echo(f"已恢复：{len(counts)} 张表，{sum(counts.values())} 行，{restored} 个上传文件（与备份清单一致）")
        return counts
