"""`haicheng-gis privacy purge` (issue 14 part 14): the personal fields of households retired longer than
the retention period are erased from the table and from their history snapshots, once, audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, text
from typer.testing import CliRunner

from gis_server import cli_privacy
from gis_server.cli import app
from gis_server.cli_privacy import purge_and_audit
from gis_server.db import SESSION_OPTIONS
from gis_server.settings import Settings
from layers.households import HOUSEHOLDS
from layers.privacy_purge import ERASED, erased_values
from tests.utils.coverage import add_household, make_units

PERSONAL = ("head_name", "phone", "address", "id_number_masked", "id_number_cipher", "id_number_hash")
DAYS = 1095


@pytest.fixture
def owner(database_urls) -> Iterator[Connection]:
    """A rolled-back transaction as the schema owner (the purge's role)."""
    engine = create_engine(database_urls.owner, connect_args={"options": SESSION_OPTIONS})
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    engine.dispose()


def _household(conn: Connection, dx: float, name: str, retired: str | None) -> int:
    fid = add_household(conn, dx, 0, name=name)
    conn.execute(text("UPDATE households SET id_number_cipher = '\\x0102'::bytea, id_number_hash = :h, "
                      "id_number_masked = '210381********123X' WHERE id = :id"), {"id": fid, "h": f"hash{fid}"})
    if retired:
        conn.execute(text(f"UPDATE households SET retired_at = now() - interval '{retired}', retired_reason = '迁出' "
                          "WHERE id = :id"), {"id": fid})
    return fid


def _row(conn: Connection, fid: int) -> dict:
    columns = ", ".join(PERSONAL)
    return dict(conn.execute(text(f"SELECT {columns} FROM households WHERE id = :id"), {"id": fid}).one()._mapping)


def _history(conn: Connection, fid: int) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(
        "SELECT version, operation, changed_by, " + ", ".join(f"data->>'{p}'" for p in PERSONAL)
        + " FROM feature_history WHERE layer = 'households' AND feature_id = :id ORDER BY version"), {"id": fid})]


def _listed_phone(conn: Connection, fid: int) -> str | None:
    return conn.execute(text("SELECT feature::jsonb->'properties'->>'phone' FROM listed_features "
                             "WHERE layer = 'households' AND id = :id"), {"id": fid}).scalar_one()


@pytest.fixture
def three(owner) -> dict[str, int]:
    make_units(owner)
    return {"old": _household(owner, 0, "赵老", "4 years"), "recent": _household(owner, 100, "钱近", "1 day"),
            "live": _household(owner, 200, "孙在", None)}


def test_personal_fields_come_from_the_registry():
    assert set(erased_values(HOUSEHOLDS)) == set(PERSONAL)
    assert erased_values(HOUSEHOLDS)["head_name"] == ERASED  # NOT NULL: a marker instead of NULL
    assert erased_values(HOUSEHOLDS)["phone"] is None


def test_dry_run_counts_and_changes_nothing(owner, three):
    before = {k: (_row(owner, v), _history(owner, v)) for k, v in three.items()}
    audits = owner.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    result = purge_and_audit(owner, DAYS, dry_run=True)
    # the old household and its 3 snapshots (insert, the ID number set, retire)
    assert (result.rows, result.history_rows) == ({"households": 1}, {"households": 3})
    assert {k: (_row(owner, v), _history(owner, v)) for k, v in three.items()} == before
    assert owner.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == audits


def test_purge_erases_old_retired_households_and_their_history_once(owner, three):
    old_history = _history(owner, three["old"])
    kept = {k: (_row(owner, three[k]), _history(owner, three[k])) for k in ("recent", "live")}
    assert _listed_phone(owner, three["old"]) == "138****5678"
    result = purge_and_audit(owner, DAYS)
    assert (result.rows, result.history_rows) == ({"households": 1}, {"households": 3})
    assert _row(owner, three["old"]) == {"head_name": ERASED, "phone": None, "address": None,
                                         "id_number_masked": None, "id_number_cipher": None, "id_number_hash": None}
    history = _history(owner, three["old"])
    # who/when/what stays; the values go; the purge itself is one more version
    assert [h[:3] for h in history[:3]] == [h[:3] for h in old_history]
    assert [h[3:] for h in history] == [(ERASED, None, None, None, None, None)] * 4
    assert history[3][1:3] == ("privacy_purge", "cli:privacy purge")
    assert {k: (_row(owner, three[k]), _history(owner, three[k])) for k in ("recent", "live")} == kept
    assert _listed_phone(owner, three["old"]) is None  # the masked listed text is rewritten too
    entries = owner.execute(text("SELECT username, action, layer, detail FROM audit_log "
                                 "WHERE action = 'privacy_purge'")).all()
    assert len(entries) == 1
    assert entries[0][:3] == ("cli:privacy purge", "privacy_purge", None)
    assert entries[0][3] == {"rows": {"households": 1}, "history_rows": {"households": 3}, "retention_days": DAYS}
    per_row = owner.execute(text("SELECT count(*) FROM audit_log WHERE layer = 'households' AND feature_id = :id "
                                 "AND action = 'privacy_purge'"), {"id": three["old"]}).scalar_one()
    assert per_row == 0  # one summary entry, not one per row

    again = purge_and_audit(owner, DAYS)
    assert (again.rows, again.history_rows) == ({"households": 0}, {"households": 0})
    assert len(_history(owner, three["old"])) == 4  # no new version either


def test_older_than_reaches_the_recently_retired(owner, three):
    result = purge_and_audit(owner, 0, dry_run=True)
    assert result.rows == {"households": 2}


def test_cli_dry_run_as_the_owner(database_urls, monkeypatch):
    settings = Settings(environment="test", database_url=database_urls.app, database_owner_url=database_urls.owner,
                        _env_file=None)
    monkeypatch.setattr(cli_privacy, "get_settings", lambda: settings)
    result = CliRunner().invoke(app, ["privacy", "purge", "--dry-run", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "将删除 / would erase：注销满 30 天的记录 0 条、历史版本 0 条的个人信息 (households: 0)" in result.output
    assert "Traceback" not in result.output
