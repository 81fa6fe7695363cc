"""The command line against the test database (GIS_DATABASE_URL)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from gis_server.accounts.security import verify_password
from gis_server.cli import DEMO_ACCOUNTS, app
from layers.catalog import registry


@pytest.fixture
def run(database_urls, monkeypatch):
    monkeypatch.setenv("GIS_DATABASE_URL", database_urls.app)  # as docker compose sets them
    monkeypatch.setenv("GIS_DATABASE_OWNER_URL", database_urls.owner)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin)

    return invoke


@pytest.fixture
def cleanup(engine):
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE username LIKE 'cli-%'"))


def test_users_add_list_disable_enable_passwd(run, engine, cleanup):
    added = run("users", "add", "cli-zhang", "--role", "place_names_editor", "--role", "viewer", "--password-stdin",
                stdin="first-password\n")
    assert added.exit_code == 0, added.output
    assert "cli-zhang" in run("users", "list").output
    assert "place_names_editor, viewer" in run("users", "list").output
    assert run("users", "disable", "cli-zhang").exit_code == 0
    assert "cli-zhang: place_names_editor, viewer (disabled)" in run("users", "list").output
    assert run("users", "enable", "cli-zhang").exit_code == 0
    assert run("users", "passwd", "cli-zhang", "--password-stdin", stdin="second-password\n").exit_code == 0
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE username = 'cli-zhang'")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "second-password")


def test_users_add_prompts_for_the_password_twice(run, cleanup):
    result = run("users", "add", "cli-li", "--role", "viewer", stdin="a-good-password\na-good-password\n")
    assert result.exit_code == 0, result.output


def test_bad_role_short_password_and_unknown_user_are_clear_errors(run, cleanup):
    bad_role = run("users", "add", "cli-wang", "--role", "mayor", "--password-stdin", stdin="long-enough-pw\n")
    assert bad_role.exit_code == 1
    assert "未知角色：mayor" in bad_role.output
    short = run("users", "add", "cli-wang", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1
    assert "密码至少 8 位" in short.output
    assert "没有用户“nobody”" in run("users", "disable", "nobody").output


def test_migrate_runs_as_the_owner_and_the_service_as_the_app_role(run, database_urls, monkeypatch):
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert "Schema is up to date." in result.output
    # with the app role's URL alone the migrations cannot run: it may not create or alter anything
    monkeypatch.delenv("GIS_DATABASE_OWNER_URL")
    with engine_of(database_urls.owner) as owner:
        head = owner.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        owner.execute(text("UPDATE alembic_version SET version_num = '0012'"))  # 0013 to run again
    try:
        refused = run("migrate")
        assert refused.exit_code == 1
        assert "permission denied for schema public" in str(refused.exception)
    finally:
        with engine_of(database_urls.owner) as owner:
            owner.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


@contextmanager
def engine_of(url):
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def test_db_status_and_up_with_a_configured_database(run):
    assert "configured:" in run("db", "status").output
    up = run("db", "up")
    assert up.exit_code == 0
    assert "Using the configured database" in up.output


def test_demo_accounts_are_printed_and_existing_accounts_kept(run, engine):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT username, password_hash FROM users ORDER BY username")).all()
    result = run("demo", "accounts")
    assert result.exit_code == 0, result.output
    for role, password in DEMO_ACCOUNTS.items():
        assert f"{role:<20} {password}" in result.output
    with engine.connect() as conn:  # the accounts named after the roles exist already: none is replaced
        assert conn.execute(text("SELECT username, password_hash FROM users ORDER BY username")).all() == before


def test_demo_accounts_are_refused_in_production(run, monkeypatch):
    monkeypatch.setenv("GIS_ENVIRONMENT", "production")
    monkeypatch.setenv("GIS_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("GIS_PERSONAL_DATA_KEY", "k" * 40)
    result = run("demo", "accounts")
    assert result.exit_code == 1
    assert "not created in production" in result.output


def test_listed_rebuild_covers_every_layer(run):
    result = run("listed", "rebuild")
    assert result.exit_code == 0, result.output
    # the shared test database is empty
    assert f"listed texts rebuilt: 0 ({len(list(registry()))} layers)" in result.output
