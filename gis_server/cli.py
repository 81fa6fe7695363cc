"""``haicheng-gis``: the embedded database, migrations, the server and the demo data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer

from formats import lock_down_gdal
from gis_server.cli_backup import backup_command, restore_command
from gis_server.cli_import import import_command
from gis_server.cli_privacy import privacy_app
from gis_server.settings import Settings, get_settings

app = typer.Typer(help="海城民政一张图 — command line", no_args_is_help=True, add_completion=False)
app.callback()(lock_down_gdal)  # every command: no VRT or network GDAL drivers, no network paths
db_app = typer.Typer(help="The database (embedded PostgreSQL + PostGIS unless GIS_DATABASE_URL is set)",
                     no_args_is_help=True)
demo_app = typer.Typer(help="The Haicheng demo dataset", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and their roles", no_args_is_help=True)
coverage_app = typer.Typer(help="Service areas and coverage of households", no_args_is_help=True)
listed_app = typer.Typer(help="The texts lists read (listed_features, kept by triggers)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(coverage_app, name="coverage")
compliance_app = typer.Typer(help="Continuous compliance re-checks", no_args_is_help=True)
app.add_typer(compliance_app, name="compliance")
app.add_typer(listed_app, name="listed")
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("import")(import_command)
app.add_typer(privacy_app, name="privacy")

# One account per role for the demo (development only; never use these passwords elsewhere).
LOG_CONFIG = Path(__file__).with_name("logging.json")
DEMO_ACCOUNTS = {role: f"demo-{role.replace('_', '-')}-2026" for role in
                 ("admin", "place_names_editor", "funeral_planner", "boundary_surveyor", "case_worker", "viewer")}


def _cluster(settings: Settings):  # noqa: ANN202
    from gis_server.cluster import Cluster

    return Cluster.for_data_dir(settings.data_dir, settings.db_port, settings.db_name, echo=typer.echo,
                                roles=settings.database_roles)


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def ensure_database(settings: Settings) -> None:
    """Start the embedded cluster (when no URL is configured) or check the configured server."""
    from gis_server.cluster import ClusterError

    if not settings.uses_embedded_db:
        import sqlalchemy as sa

        from gis_server.db import make_engine

        # as the owner: a no-op when the extensions exist (the docker init script creates them as superuser)
        engine = make_engine(settings, owner=True)
        try:
            with engine.begin() as conn:
                for ext in ("postgis", "pg_trgm"):
                    conn.execute(sa.text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
        except sa.exc.OperationalError as exc:
            _fail(f"Cannot reach GIS_DATABASE_OWNER_URL / GIS_DATABASE_URL: {exc.orig}")
        finally:
            engine.dispose()
        typer.echo("Using the configured database (GIS_DATABASE_URL).")
        return
    try:
        started = _cluster(settings).up()
    except ClusterError as exc:
        _fail(str(exc))
    typer.echo(f"Database {'started' if started else 'already running'} on 127.0.0.1:{settings.db_port}.")


@db_app.command("up")
def db_up() -> None:
    """Create (first time) and start the database; a no-op when it already runs."""
    ensure_database(get_settings())


@db_app.command("down")
def db_down() -> None:
    """Stop the embedded database."""
    settings = get_settings()
    if not settings.uses_embedded_db:
        _fail("GIS_DATABASE_URL is set: that server is not managed here.")
    stopped = _cluster(settings).down()
    typer.echo("Database stopped." if stopped else "Database was not running.")


@db_app.command("status")
def db_status() -> None:
    """Show where the database is and whether it runs."""
    settings = get_settings()
    if not settings.uses_embedded_db:
        typer.echo(f"configured: {settings.sqlalchemy_url.split('@')[-1]}")
        return
    for key, value in _cluster(settings).status().items():
        typer.echo(f"{key}: {value}")


@app.command()
def migrate() -> None:
    """Bring the schema to the newest migration (as the schema owner)."""
    from gis_server.migrate import upgrade

    settings = get_settings()
    upgrade(settings.owner_sqlalchemy_url, roles=settings.database_roles)
    typer.echo("Schema is up to date.")


@demo_app.command("load")
def demo_load(force: bool = typer.Option(False, "--force", help="Reload even if this dataset is loaded.")) -> None:
    """Build and load the deterministic Haicheng demo dataset (replaces earlier demo rows only)."""
    from gis_server.db import make_engine
    from importers.demo import load_demo
    from layers.errors import Conflict

    engine = make_engine(get_settings(), owner=True)  # a bulk load: one audit entry, only for the owner
    try:
        load_demo(engine, echo=typer.echo, force=force)
    except Conflict as e:
        _fail(e.message)
    finally:
        engine.dispose()


def _pidfile(settings: Settings) -> Path:
    return settings.data_dir / "server.pid"


def _stop_server(settings: Settings) -> bool:
    pidfile = _pidfile(settings)
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text().strip() or 0)
    pidfile.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    return True


def _wait_until_up(url: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own local URL)
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


@app.command()
def serve(
    detach: bool = typer.Option(False, "--detach", help="Run in the background (restarts a running one)."),
    reload: bool = typer.Option(False, "--reload", help="Reload on code changes (development)."),
) -> None:
    """Serve the API and the map at http://HOST:PORT (default 127.0.0.1:8000)."""
    settings = get_settings()
    args = [sys.executable, "-m", "uvicorn", "gis_server.app:create_app", "--factory",
            "--host", settings.host, "--port", str(settings.port)]
    if settings.log_format == "json":  # JSON lines with request ids; the service logs each request itself
        args += ["--log-config", str(LOG_CONFIG), "--no-access-log"]
    if not detach:
        if reload:
            args.append("--reload")
        os.execv(sys.executable, args)
    _stop_server(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = open(settings.data_dir / "server.log", "ab")  # noqa: SIM115 (handed to the child)
    process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    _pidfile(settings).write_text(str(process.pid))
    url = f"http://{settings.host}:{settings.port}"
    if not _wait_until_up(url + "/api/health"):
        _fail(f"The server did not answer; see {settings.data_dir / 'server.log'}")
    typer.echo(f"Serving at {url}  (API docs: {url}/docs; stop with: haicheng-gis stop)")


@app.command()
def stop() -> None:
    """Stop a server started with ``serve --detach``."""
    typer.echo("Server stopped." if _stop_server(get_settings()) else "No server was running.")


def _in_transaction(action):  # noqa: ANN001, ANN202
    """Run ``action(conn)`` in a transaction; domain errors become a red message and exit 1."""
    from gis_server.db import make_engine
    from layers.errors import DomainError

    engine = make_engine(get_settings())
    try:
        with engine.begin() as conn:
            return action(conn)
    except DomainError as exc:
        _fail(exc.message)
    finally:
        engine.dispose()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: str,
    role: list[str] = typer.Option(..., "--role", "-r", help="Role (repeat for several)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Create a user with one or more roles."""
    from gis_server.accounts.service import create_user

    password = _read_password(password_stdin)
    _in_transaction(lambda conn: create_user(conn, name, password, role))
    typer.echo(f"User {name} created with roles: {', '.join(role)}.")


@users_app.command("passwd")
def users_passwd(
    name: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Change a user's password."""
    from gis_server.accounts.service import set_password

    password = _read_password(password_stdin)
    _in_transaction(lambda conn: set_password(conn, name, password))
    typer.echo(f"Password of {name} changed.")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user (they can no longer sign in; existing tokens stop working)."""
    from gis_server.accounts.service import set_disabled

    _in_transaction(lambda conn: set_disabled(conn, name, True))
    typer.echo(f"User {name} disabled.")


@users_app.command("enable")
def users_enable(name: str) -> None:
    """Enable a disabled user."""
    from gis_server.accounts.service import set_disabled

    _in_transaction(lambda conn: set_disabled(conn, name, False))
    typer.echo(f"User {name} enabled.")


@users_app.command("list")
def users_list() -> None:
    """List users and their roles."""
    from gis_server.accounts.service import list_users

    for user in _in_transaction(list_users):
        state = " (disabled)" if user["disabled"] else ""
        typer.echo(f"{user['username']}: {', '.join(user['roles'])}{state}")


@demo_app.command("province")
def demo_province(factor: int = typer.Option(100, "--factor", min=2, max=1000,
                                             help="Counties in the province (copies of the county's rows).")) -> None:
    """Grow the demo to province scale: moved copies of households, place names and graves (gis_server/province.py)."""
    from gis_server.db import make_engine
    from gis_server.province import generate

    engine = make_engine(get_settings(), owner=True)
    try:
        generate(engine, factor, echo=typer.echo)
    finally:
        engine.dispose()


@demo_app.command("preview")
def demo_preview(out: str = typer.Argument(..., help="PNG file to write")) -> None:
    """Render the loaded demo layers of the whole county to a PNG."""
    from importers.demo.preview import render

    render(get_settings().sqlalchemy_url, out)
    typer.echo(out)


@demo_app.command("accounts")
def demo_accounts() -> None:
    """Create one demo account per role (development only) and print names and passwords."""
    from sqlalchemy import text

    from gis_server.accounts.service import create_user

    settings = get_settings()
    if settings.environment == "production":
        _fail("Demo accounts are not created in production.")

    def ensure(conn) -> None:  # noqa: ANN001
        for role, password in DEMO_ACCOUNTS.items():
            if not conn.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": role}).first():
                create_user(conn, role, password, [role])

    _in_transaction(ensure)
    typer.echo("Demo accounts (development only):")
    for role, password in DEMO_ACCOUNTS.items():
        typer.echo(f"  {role:<20} {password}")


@coverage_app.command("refresh")
def coverage_refresh(force: bool = typer.Option(False, "--force", help="Recompute even if nothing changed.")) -> None:
    """Recompute the road-network service areas after roads or facilities changed (a no-op otherwise)."""
    from gis_server.db import make_engine
    from layers.coverage.refresh import refresh_job
    from layers.errors import DomainError

    engine = make_engine(get_settings())
    try:
        result = refresh_job(engine, force=force)
    except DomainError as exc:
        _fail(exc.message)
    finally:
        engine.dispose()
    typer.echo(f"Network service areas: {result}")


@compliance_app.command("drain")
def compliance_drain() -> None:
    """Re-check what the pending changes of constraint and other watched layers affect (the service does it
    in the background too).
    """
    from gis_server.db import make_engine
    from layers.compliance.queue import drain_job

    engine = make_engine(get_settings())
    try:
        typer.echo(f"Compliance re-check: {drain_job(engine)}")
    finally:
        engine.dispose()


@listed_app.command("rebuild")
def listed_rebuild() -> None:
    """Write every feature's listed text again (after a load with triggers off, or a restore of a dump)."""
    from gis_server.db import make_engine
    from layers.catalog import registry
    from layers.listed import rebuild

    engine = make_engine(get_settings())
    try:
        with engine.begin() as conn:
            counts = rebuild(conn, list(registry()))
    finally:
        engine.dispose()
    typer.echo(f"列表文本已重建 / listed texts rebuilt: {sum(counts.values())} ({len(counts)} layers)")


# --- place-name pinyin (issue 14) ------------------------------------------------------------
pinyin_app = typer.Typer(help="Place-name pinyin (地名罗马字母拼写)", no_args_is_help=True)
app.add_typer(pinyin_app, name="pinyin")


@pinyin_app.command("regenerate")
def pinyin_regenerate(dry_run: bool = typer.Option(False, "--dry-run", help="Report the changes, write nothing.")
                      ) -> None:
    """Spell every place name again by the current rules; spellings set by hand are kept."""
    from layers.gazetteer.respell import regenerate
    from layers.roles import Actor

    result = _in_transaction(lambda conn: regenerate(conn, Actor("cli:pinyin regenerate"), dry_run=dry_run))
    for item in result["changed"]:
        typer.echo(f"{item['id']}\t{item['name']}\t{item['old'] or ''} → {item['new']}")
    for item in result["kept_manual"]:
        typer.echo(f"{item['id']}\t{item['name']}\t{item['pinyin']}（人工确定，保留；建议 {item['suggestion']}）")
    verb = "将更新 / would change" if dry_run else "已更新 / changed"
    typer.echo(f"{verb}: {len(result['changed'])} of {result['checked']}; "
               f"人工确定保留 / kept as set by hand: {len(result['kept_manual'])}")
