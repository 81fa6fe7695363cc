"""``haicheng-gis backup`` and ``restore``: the commands; the work is in :mod:`gis_server.backup`."""

from __future__ import annotations

from pathlib import Path

import typer

from gis_server.settings import get_settings
from layers.errors import DomainError


def backup_command(
    folder: Path = typer.Argument(None, help="Folder for the archive (default: <data folder>/backups)."),
    keep: int = typer.Option(14, "--keep", min=0, help="Archives to keep in the folder (0 = keep all)."),
) -> None:
    """Write a backup archive: database dump, uploaded files, manifest with checksums and row counts."""
    from gis_server.backup import backup, prune

    settings = get_settings()
    target = folder or settings.data_dir / "backups"
    backup(settings.owner_sqlalchemy_url, settings.data_dir, target, echo=typer.echo)
    for path in prune(target, keep):
        typer.echo(f"已删除旧备份（保留最近 {keep} 个）：{path.name}")


def restore_command(archive: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                   help="An archive written by `haicheng-gis backup`.")) -> None:
    """Restore an archive into the configured database, which must be empty (nothing is changed otherwise)."""
    from gis_server.backup import restore

    settings = get_settings()
    try:
        restore(settings.owner_sqlalchemy_url, settings.data_dir, archive, echo=typer.echo)
    except DomainError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
