"""One import from upload to commit, for the API and the CLI alike.

- :func:`receive_and_read` — the file through ``formats`` (refusals: ``InvalidInput``, nothing stored);
- :func:`start` — the import's row (state ``checking``), the file kept encrypted;
- :func:`check` — the dry run, its progress and report written to the import's row as it goes;
- :func:`commit_import` — the dry run's checked rows (kept encrypted with the import, not the file),
  re-checked for what may have changed since and written in one transaction, set-based; progress is
  written in transactions of its own so a page can poll it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import formats
from layers.errors import DomainError, InvalidInput
from layers.features import WriteContext
from layers.imports import staged, state
from layers.imports.check import DryRun, Planned, Uniqueness, dry_run, recheck
from layers.imports.collector import collector_paused
from layers.imports.commit import commit
from layers.imports.coordinates import choice
from layers.imports.source import ACCEPTED, SourceFile, read_source
from layers.registry import LayerSpec
from layers.roles import Actor

SUFFIXES = formats.suffixes_of(ACCEPTED)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    margin: float = 0.05


def receive_and_read(content: bytes, filename: str, limits: Limits) -> SourceFile:
    try:
        with collector_paused(), formats.receive(content, filename, ACCEPTED, limits.max_bytes) as upload:
            return read_source(upload, limits.max_rows)
    except formats.FileRefused as exc:
        raise InvalidInput(exc.message, exc.message_en, field="file") from None


def options(crs: str | None, mapping: dict[str, str] | None) -> dict[str, Any]:
    if mapping is not None and not (isinstance(mapping, dict)
                                    and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())):
        raise InvalidInput("字段对应关系应为 {\"列名\": \"字段名\"} 形式的对象",
                           "mapping must map headers to field names", field="mapping")
    return {"crs": choice(crs), "mapping": mapping or {}}


def start(db: Any, spec: LayerSpec, actor: Actor, filename: str, content: bytes, opts: dict[str, Any],
          cipher: Any) -> int:
    with db.transaction() as conn:
        return state.create(conn, spec.name, actor.name, filename, content, opts, cipher)


Progress = Callable[[int, int], None]


def _progress(db: Any, import_id: int, also: Progress | None) -> Progress:
    """Progress written to the import's row (each in a transaction of its own, for pages that poll)."""
    def report(done: int, total: int) -> None:
        with db.transaction() as conn:
            state.progress(conn, import_id, done, total)
        if also is not None:
            also(done, total)
    return report


def check(db: Any, spec: LayerSpec, import_id: int, source: SourceFile, opts: dict[str, Any], *, actor: Actor,
          cipher: Any, limits: Limits, on_progress: Progress | None = None,
          uniqueness: Uniqueness | None = None) -> DryRun:
    """The dry run of a started import; its report is stored with the import."""
    try:
        with collector_paused(), db.read() as conn:
            run = dry_run(conn, spec, source, actor=actor, cipher=cipher, crs_choice=opts.get("crs"),
                          mapping=opts.get("mapping"), margin=limits.margin,
                          progress=_progress(db, import_id, on_progress), uniqueness=uniqueness)
    except DomainError as exc:  # e.g. too many duplicate hits: the user reads why
        with db.transaction() as conn:
            state.finish(conn, import_id, "failed", message=exc.message)
        raise
    except Exception:
        with db.transaction() as conn:
            state.finish(conn, import_id, "failed", message="检查时出错，未写入任何数据：请重试或联系管理员")
        raise
    with collector_paused(), db.transaction() as conn:
        state.finish(conn, import_id, "checked", report=run.report(source),
                     checked=staged.dump(run.planned) if run.ok else None, cipher=cipher)
    return run


def commit_import(db: Any, spec: LayerSpec, import_id: int, *, actor: Actor, cipher: Any,
                  context: Callable[[Any, int | None, Any], WriteContext],
                  after: Callable[[Any, dict[str, int]], None] | None = None,
                  on_progress: Progress | None = None) -> dict[str, Any]:
    """Commit a checked import: all rows or none. ``context(conn, feature_id, geom)`` makes each write's
    context; ``after(conn, counts)`` runs in the same transaction (the audit record).
    """
    with db.transaction() as conn:
        row = state.claim(conn, import_id, spec.name, actor.name)
        content = state.content_of(conn, import_id, cipher)
    try:
        with collector_paused():
            counts = _write_checked(db, spec, import_id, row, staged.load(spec, content), actor=actor, cipher=cipher,
                                    context=context, after=after, on_progress=on_progress)
    except Exception as exc:
        with db.transaction() as conn:
            message = getattr(exc, "message", "导入失败，未写入任何数据")
            state.finish(conn, import_id, "failed", message=message,
                         report=getattr(exc, "details", {}).get("report"))
        raise
    with db.transaction() as conn:
        state.finish(conn, import_id, "committed", result=counts)
    return counts


def _write_checked(db: Any, spec: LayerSpec, import_id: int, row: dict[str, Any], planned: list[Planned], *,
                   actor: Actor, cipher: Any, context: Callable[[Any, int | None, Any], WriteContext],
                   after: Callable[[Any, dict[str, int]], None] | None,
                   on_progress: Progress | None) -> dict[str, int]:
    """The commit's transaction: the re-check, the write, and ``after``."""
    with db.transaction() as conn:
        run = recheck(conn, spec, planned, actor=actor, cipher=cipher)
        if not run.ok:  # the data changed since the dry run (e.g. a record was added meanwhile)
            raise InvalidInput("数据在检查之后发生了变化，重新检查发现问题：请查看报告并重新上传",
                               "the import no longer passes its checks",
                               report={**row["report"], "counts": run.counts(), "ok": False,
                                       "problems": sorted(run.problems, key=lambda p: p["row"])})
        counts = commit(conn, spec, run, actor=actor, reason=f"导入文件“{row['filename']}”",
                        context=lambda fid, geom: context(conn, fid, geom),
                        progress=_progress(db, import_id, on_progress))
        if after is not None:
            after(conn, counts)
    return counts


def discard(db: Any, import_id: int) -> None:
    """Drop a checked import's file (a dry run only: nothing is committed from it)."""
    with db.transaction() as conn:
        state.drop_file(conn, import_id)
