"""The imports table (migration 0023): status, progress and report of each import, and saved mappings.

An import belongs to the user who uploaded it: nobody else reads its report (it may name rows of a
roster), and it is found only by its owner — another user's id answers "not found".
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import InvalidInput, NotFound

STATUS_TITLES = {"checking": "正在检查", "checked": "检查完成", "refused": "文件被拒绝", "committing": "正在导入",
                 "committed": "已导入", "failed": "导入失败"}


# Local parameter: an import not committed within this time loses its file (a roster holds ID numbers);
# its report stays, and the file must be uploaded again.
FILE_KEPT = "1 day"


def create(conn: Connection, layer: str, username: str, filename: str, content: bytes, options: dict[str, Any],
           cipher: Any) -> int:
    """A new import in state ``checking``; the file is kept encrypted until the import ends (at most
    :data:`FILE_KEPT`: each new import drops the files of imports older than that).
    """
    conn.execute(text(f"UPDATE imports SET content = NULL WHERE content IS NOT NULL "
                      f"AND created_at < now() - interval '{FILE_KEPT}'"))
    token = cipher.encrypt(base64.b64encode(content).decode("ascii"))
    return conn.execute(text(
        "INSERT INTO imports (layer, username, filename, options, content) "
        "VALUES (:layer, :username, :filename, CAST(:options AS jsonb), :content) RETURNING id"),
        {"layer": layer, "username": username, "filename": filename,
         "options": json.dumps(options, ensure_ascii=False), "content": token}).scalar_one()


def content_of(conn: Connection, import_id: int, cipher: Any) -> bytes:
    """The import's file while it is checked, then its checked rows (see :func:`finish`)."""
    token = conn.execute(text("SELECT content FROM imports WHERE id = :id"), {"id": import_id}).scalar()
    if token is None:
        raise NotFound("导入的文件已不再保存（已提交、被拒绝或超过 1 天未提交）：请重新上传",
                       "import file no longer kept")
    return base64.b64decode(cipher.decrypt(bytes(token)))


def progress(conn: Connection, import_id: int, done: int, total: int) -> None:
    conn.execute(text("UPDATE imports SET processed = :done, total = :total, updated_at = now() WHERE id = :id"),
                 {"id": import_id, "done": done, "total": total})


def finish(conn: Connection, import_id: int, status: str, *, report: dict[str, Any] | None = None,
           result: dict[str, Any] | None = None, message: str | None = None, checked: bytes | None = None,
           cipher: Any = None) -> None:
    """End a step of the import. ``checked``: the dry run's checked rows (``layers.imports.staged``), kept
    encrypted in place of the file for the commit; without them the file is dropped.
    """
    conn.execute(text(
        "UPDATE imports SET status = :status, report = coalesce(CAST(:report AS jsonb), report), "
        "result = CAST(:result AS jsonb), message = :message, updated_at = now(), "
        "format = coalesce(CAST(:report AS jsonb) ->> 'format', format)"
        ", content = :content WHERE id = :id"),
        {"id": import_id, "status": status, "message": message,
         "content": None if checked is None else cipher.encrypt(base64.b64encode(checked).decode("ascii")),
         "report": json.dumps(report, ensure_ascii=False) if report is not None else None,
         "result": json.dumps(result, ensure_ascii=False) if result is not None else None})


def drop_file(conn: Connection, import_id: int) -> None:
    conn.execute(text("UPDATE imports SET content = NULL, updated_at = now() WHERE id = :id"), {"id": import_id})


def claim(conn: Connection, import_id: int, layer: str, username: str) -> dict[str, Any]:
    """Lock an import of this user for its commit: it must be checked, without problems."""
    row = get(conn, import_id, layer, username, lock=True)
    if row["status"] == "committed":
        raise InvalidInput("此导入已提交，不能重复提交（再次导入同一文件请重新上传）", "import already committed",
                           field="status")
    if row["status"] != "checked":
        raise InvalidInput(f"此导入的状态为“{STATUS_TITLES[row['status']]}”，不能提交", f"import is {row['status']}",
                           field="status")
    if not (row["report"] or {}).get("ok"):
        raise InvalidInput("检查报告中还有问题：请修正文件后重新上传，全部通过才能导入", "import has problems",
                           field="report")
    conn.execute(text("UPDATE imports SET status = 'committing', processed = 0, updated_at = now() WHERE id = :id"),
                 {"id": import_id})
    return row


def get(conn: Connection, import_id: int, layer: str, username: str, lock: bool = False) -> dict[str, Any]:
    row = conn.execute(text(
        "SELECT id, layer, filename, format, status, options, processed, total, report, result, message, "
        "created_at, updated_at FROM imports WHERE id = :id AND layer = :layer AND username = :username"
        + (" FOR UPDATE" if lock else "")), {"id": import_id, "layer": layer, "username": username}).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {import_id} 的导入", f"import {import_id} not found")
    out = dict(row)
    out["status_title"] = STATUS_TITLES[out["status"]]
    out["created_at"], out["updated_at"] = out["created_at"].isoformat(), out["updated_at"].isoformat()
    return out


# --- saved mappings ---------------------------------------------------------------------------

def save_mapping(conn: Connection, layer: str, name: str, mapping: dict[str, str], username: str) -> None:
    conn.execute(text(
        "INSERT INTO import_mappings (layer, name, mapping, username) VALUES (:layer, :name, CAST(:m AS jsonb), :u) "
        "ON CONFLICT (layer, name) DO UPDATE SET mapping = EXCLUDED.mapping, username = EXCLUDED.username, "
        "updated_at = now()"), {"layer": layer, "name": name, "m": json.dumps(mapping, ensure_ascii=False),
                                "u": username})


def load_mapping(conn: Connection, layer: str, name: str) -> dict[str, str]:
    found = conn.execute(text("SELECT mapping FROM import_mappings WHERE layer = :layer AND name = :name"),
                         {"layer": layer, "name": name}).scalar()
    if found is None:
        raise NotFound(f"没有名为“{name}”的已保存字段对应关系", f"no saved mapping {name!r}")
    return dict(found)


def mappings(conn: Connection, layer: str) -> list[dict[str, Any]]:
    rows = conn.execute(text("SELECT name, mapping, username, updated_at FROM import_mappings WHERE layer = :layer "
                             "ORDER BY name"), {"layer": layer}).mappings().all()
    return [{**r, "updated_at": r["updated_at"].isoformat()} for r in rows]
