"""``haicheng-gis privacy purge``: erase the personal fields of records retired longer than the retention
period (the work is in :mod:`layers.privacy_purge`); runs as the schema owner, audited once per run.
"""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import Connection

from gis_server.settings import get_settings
from layers import audit
from layers.privacy_purge import PurgeResult, purge_personal_data
from layers.roles import Actor

ACTOR = Actor("cli:privacy purge")

privacy_app = typer.Typer(help="Personal data life cycle (个人信息保存期限)", no_args_is_help=True)


def purge_and_audit(conn: Connection, retention_days: int, dry_run: bool = False) -> PurgeResult:
    """The purge in the caller's (owner's) transaction and, unless a dry run, its one audit entry."""
    from layers.catalog import registry

    result = purge_personal_data(conn, list(registry()), ACTOR, retention_days, dry_run=dry_run)
    if not dry_run:
        audit.record(conn, ACTOR, "privacy_purge", reason=f"注销满 {retention_days} 天的记录", rows=result.rows,
                     history_rows=result.history_rows, retention_days=retention_days)
    return result


@privacy_app.command("purge")
def privacy_purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be erased, change nothing."),
    older_than: int = typer.Option(None, "--older-than", min=0, metavar="DAYS",
                                   help="Retired longer than DAYS (default: GIS_PERSONAL_DATA_RETENTION_DAYS)."),
) -> None:
    """Erase the personal fields of records retired longer than the retention period, also in their history."""
    from gis_server.db import make_engine

    settings = get_settings()
    days = settings.personal_data_retention_days if older_than is None else older_than
    engine = make_engine(settings, owner=True)  # feature_history is append-only for the service's role
    try:
        with engine.begin() as conn:
            result = purge_and_audit(conn, days, dry_run)
    finally:
        engine.dispose()
    verb = "将删除 / would erase" if dry_run else "已删除 / erased"
    typer.echo(f"{verb}：注销满 {days} 天的记录 {result.total_rows} 条、"
               f"历史版本 {result.total_history_rows} 条的个人信息 ({_per_layer(result.rows)})")


def _per_layer(counts: dict[str, Any]) -> str:
    return ", ".join(f"{layer}: {n}" for layer, n in counts.items()) or "no layer holds personal data"
