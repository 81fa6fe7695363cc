"""The job table's operations: submit (sharing a pending run), claim, report progress, finish, read.

Every statement is short and commits on its own, so that watchers see progress while the job's own
work runs in another transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from gis_server.db import Database
from gis_server.jobs.registry import FileOutput

# a running job whose process has not reported for this long is taken as dead (its process stopped)
STALE_SECONDS = 600
VIEW_COLUMNS = ("id, kind, status, progress, message, result, output_name, output_type, created_at, started_at, "
                "finished_at, requested_by")

_JOIN = text("""
    UPDATE jobs SET requested_by = CASE WHEN CAST(:who AS text) = ANY(requested_by) THEN requested_by
                                        ELSE requested_by || CAST(:who AS text) END
    WHERE kind = :kind AND key = :key AND status IN ('queued', 'running') RETURNING id""")
_INSERT = text("""
    INSERT INTO jobs (kind, key, params, requested_by) VALUES (:kind, :key, CAST(:params AS jsonb), ARRAY[:who])
    ON CONFLICT (kind, key) WHERE status IN ('queued', 'running') DO NOTHING RETURNING id""")


def submit(db: Database, kind: str, key: str, params: dict[str, Any], requested_by: str) -> tuple[int, bool]:
    """The id of the pending job of this kind and key, made if there is none; and whether it was made.

    Two requests for the same work while it is queued or running share one row (and one run); each
    requester is remembered so that both may read it.
    """
    for _ in range(3):  # the pending job may finish between the two statements: then ask again
        with db.transaction() as conn:
            joined = conn.execute(_JOIN, {"kind": kind, "key": key, "who": requested_by}).scalar()
            if joined is not None:
                return joined, False
            made = conn.execute(_INSERT, {"kind": kind, "key": key, "who": requested_by,
                                          "params": json.dumps(params, ensure_ascii=False)}).scalar()
            if made is not None:
                return made, True
    raise RuntimeError(f"could not submit job {kind}/{key}")


def claim(db: Database) -> tuple[int, str, dict[str, Any]] | None:
    """Take the oldest queued job (another process never takes the same one): (id, kind, params)."""
    with db.transaction() as conn:
        row = conn.execute(text("""
            UPDATE jobs SET status = 'running', started_at = now(), heartbeat_at = now()
            WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id
                        LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, params""")).first()
    return (row[0], row[1], row[2]) if row else None


def report(db: Database, job_id: int, fraction: float, message: str | None) -> None:
    with db.transaction() as conn:
        conn.execute(text("UPDATE jobs SET progress = :p, message = coalesce(:m, message), heartbeat_at = now() "
                          "WHERE id = :id AND status = 'running'"), {"id": job_id, "p": fraction, "m": message})


def finish(db: Database, job_id: int, outcome: dict[str, Any] | FileOutput) -> None:
    values: dict[str, Any]
    if isinstance(outcome, FileOutput):
        values = {"result": json.dumps({"title": outcome.title, "bytes": len(outcome.content),
                                        **(outcome.summary or {})}, ensure_ascii=False),
                  "output": outcome.content, "type": outcome.media_type, "name": outcome.filename}
    else:
        values = {"result": json.dumps(outcome, ensure_ascii=False, default=str), "output": None, "type": None,
                  "name": None}
    with db.transaction() as conn:
        conn.execute(text("""
            UPDATE jobs SET status = 'done', progress = 1, message = '已完成', result = CAST(:result AS jsonb),
                   output = :output, output_type = :type, output_name = :name, finished_at = now(),
                   heartbeat_at = now()
            WHERE id = :id"""), {"id": job_id, **values})


def fail(db: Database, job_id: int, message: str) -> None:
    with db.transaction() as conn:
        conn.execute(text("UPDATE jobs SET status = 'failed', message = :m, finished_at = now(), heartbeat_at = now() "
                          "WHERE id = :id"), {"id": job_id, "m": message})


def fail_stale(db: Database, seconds: int = STALE_SECONDS) -> int:
    """Mark running jobs whose process stopped reporting as failed (they can be asked for again)."""
    with db.transaction() as conn:
        return conn.execute(text("""
            UPDATE jobs SET status = 'failed', message = '处理该任务的服务进程已停止，请重新提交', finished_at = now()
            WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => :s)"""),
            {"s": seconds}).rowcount


def view(db: Database, job_id: int) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(text(f"SELECT {VIEW_COLUMNS} FROM jobs WHERE id = :id"), {"id": job_id}).mappings().first()
    return dict(row) if row else None


def output(db: Database, job_id: int) -> tuple[bytes, str, str] | None:
    with db.read() as conn:
        row = conn.execute(text("SELECT output, output_type, output_name FROM jobs WHERE id = :id AND status = 'done' "
                                "AND output IS NOT NULL"), {"id": job_id}).first()
    return (bytes(row[0]), row[1], row[2]) if row else None


def counts(db: Database) -> list[tuple[str, str, int]]:
    """(kind, status, number of jobs), for the metrics."""
    with db.read() as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(text(
            "SELECT kind, status, count(*) FROM jobs GROUP BY kind, status ORDER BY 1, 2"))]


def prune(db: Database, keep_days: int) -> int:
    """Delete finished jobs (and their files) older than ``keep_days``."""
    with db.transaction() as conn:
        return conn.execute(text("DELETE FROM jobs WHERE status IN ('done', 'failed') "
                                 "AND finished_at < now() - make_interval(days => :d)"), {"d": keep_days}).rowcount
