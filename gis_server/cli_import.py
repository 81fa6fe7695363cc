"""``haicheng-gis import LAYER FILE``: the import pipeline of the API from the command line.

The rows are written in the name of ``--user`` (an account that may write the layer), checked and
written exactly as through the API (``layers.imports``), with a progress bar for each phase.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from gis_server.settings import get_settings


def _mapping(db: Any, layer: str, value: str | None) -> dict[str, str] | None:
    """A JSON file of {header: field}, or the name of a saved mapping."""
    from layers.imports import state

    if not value:
        return None
    path = Path(value)
    if path.suffix == ".json" and path.exists():
        return json.loads(path.read_text("utf-8"))
    with db.read() as conn:
        return state.load_mapping(conn, layer, value)


def _print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    counts = report.get("counts", {})
    console.print(f"格式 {report.get('format')}，编码 {report.get('encoding') or '—'}，"
                  f"坐标系 {report.get('crs') or '—'}")
    for note in report.get("notes", []):
        console.print(f"· {note}")
    for problem in report.get("file_problems", []):
        console.print(f"[red]✗ {problem}[/red]")
    if report.get("problems"):
        table = Table("行", "字段", "问题", title="逐行问题")
        for p in report["problems"]:
            table.add_row(str(p["row"]), p["field"], p["message"])
        console.print(table)
    console.print(f"共 {counts.get('rows', 0)} 行：新建 {counts.get('insert', 0)}，更新 {counts.get('update', 0)}，"
                  f"不变 {counts.get('unchanged', 0)}，有问题 {counts.get('problem_rows', 0)}")


def import_command(
    layer: str = typer.Argument(..., help="图层名，如 households、shelters"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="Shapefile（zip）、GPKG、GeoJSON、KML、GPX、CSV、XLSX"),
    user: str = typer.Option(..., "--user", help="以哪个账户的名义导入（须有该图层的写权限）"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并输出报告，不写入"),
    mapping: str | None = typer.Option(None, "--mapping", help="字段对应关系：JSON 文件或已保存的名称"),
    crs: str | None = typer.Option(None, "--crs", help="文件无坐标系时：EPSG:4490、EPSG:4550、EPSG:4529 或 gcj02"),
) -> None:
    """Import a file into a layer: check every row, then (without --dry-run) write it all or nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from gis_server.accounts.service import load_actor
    from gis_server.db import Database, make_engine
    from gis_server.routers.imports import audit_record, limits, write_context
    from layers.catalog import registry
    from layers.errors import DomainError
    from layers.imports import runner
    from layers.privacy import PersonalDataCipher

    settings = get_settings()
    spec = registry().get(layer)
    if spec is None:
        typer.secho(f"没有图层“{layer}”：可用 {', '.join(registry().names())}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    db = Database(make_engine(settings))
    cipher = PersonalDataCipher(settings.data_key)
    try:
        with db.read() as conn:
            actor = load_actor(conn, user, "cli")
        if not spec.can_write(actor.roles):
            raise DomainError(f"账户“{user}”无权向图层“{spec.title}”导入数据")
        opts = runner.options(crs, _mapping(db, spec.name, mapping))
        content = file.read_bytes()[: settings.upload_max_bytes + 1]
        source = runner.receive_and_read(content, file.name, limits(settings))
        import_id = runner.start(db, spec, actor, file.name, content, opts, cipher)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as bar:
            task = bar.add_task("检查", total=len(source.rows))
            run = runner.check(db, spec, import_id, source, opts, actor=actor, cipher=cipher,
                               limits=limits(settings),
                               on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        report = run.report(source)
        _print_report(report)
        if dry_run or not report["ok"]:
            runner.discard(db, import_id)
            if not report["ok"]:
                raise typer.Exit(1)
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as bar:
            task = bar.add_task("写入", total=len(run.planned))
            counts = runner.commit_import(
                db, spec, import_id, actor=actor, cipher=cipher,
                context=write_context(actor, cipher, settings), after=audit_record(spec, actor, import_id),
                on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        typer.echo(f"已导入：新建 {counts['insert']}，更新 {counts['update']}，不变 {counts['unchanged']}")
    except DomainError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
