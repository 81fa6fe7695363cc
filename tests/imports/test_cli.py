"""``haicheng-gis import``: the same pipeline from the command line, on a database of its own (it commits)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from gis_server.accounts.service import create_user
from gis_server.cli import app
from tests.imports.corpus import TOWNSHIP, VILLAGE
from tests.utils.database import committed_database

SQUARE = "ST_Multi(ST_MakeEnvelope(122.65, 40.80, 122.75, 40.90, 4490))"


@pytest.fixture(scope="module")
def cli_db(database_url: str) -> Iterator[str]:
    with committed_database(database_url, "gis_cli_import") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            create_user(conn, "worker", "correct horse battery", ["case_worker"])
            create_user(conn, "looker", "correct horse battery", ["viewer"])
            conn.execute(text(f"INSERT INTO townships (code, name, geom) VALUES (:c, :n, {SQUARE})"),
                         {"c": TOWNSHIP[0], "n": TOWNSHIP[1]})
            conn.execute(text(f"INSERT INTO villages (code, name, township_code, geom) VALUES (:c, :n, :t, {SQUARE})"),
                         {"c": VILLAGE[0], "n": VILLAGE[1], "t": TOWNSHIP[0]})
        engine.dispose()
        yield url


def test_import_dry_run_then_commit_then_again(cli_db, corpus, monkeypatch) -> None:
    monkeypatch.setenv("GIS_DATABASE_URL", cli_db)
    runner = CliRunner()
    path = str(corpus["households.xlsx"])
    dry = runner.invoke(app, ["import", "households", path, "--user", "worker", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "共 3 行：新建 3，更新 0，不变 0，有问题 0" in dry.output
    done = runner.invoke(app, ["import", "households", path, "--user", "worker"])
    assert done.exit_code == 0, done.output
    assert "已导入：新建 3，更新 0，不变 0" in done.output
    again = runner.invoke(app, ["import", "households", path, "--user", "worker"])
    assert "已导入：新建 0，更新 0，不变 3" in again.output
    engine = create_engine(cli_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), min(created_by) FROM households")).one() == (3, "worker")
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'import'")).scalar() == 2
    engine.dispose()


def test_cli_refusals(cli_db, corpus, monkeypatch) -> None:
    monkeypatch.setenv("GIS_DATABASE_URL", cli_db)
    runner = CliRunner()
    viewer = runner.invoke(app, ["import", "households", str(corpus["households.csv"]), "--user", "looker"])
    assert viewer.exit_code == 1 and "账户“looker”无权向图层“困难群众户”导入数据" in viewer.output
    swapped = runner.invoke(app, ["import", "households", str(corpus["households_swapped.csv"]), "--user", "worker"])
    assert swapped.exit_code == 1 and "经纬度顺序颠倒" in swapped.output
    unknown = runner.invoke(app, ["import", "nothing", str(corpus["households.csv"]), "--user", "worker"])
    assert unknown.exit_code == 2 and "没有图层“nothing”" in unknown.output
