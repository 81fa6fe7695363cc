"""``install_layer`` gives a new table the triggers every layer table has: a table installed by it keeps
versions and history, is audited, listed and counted in the tile cache's data version, as ``shelters`` is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, MetaData, Text, create_engine, text
from sqlalchemy.orm import DeclarativeBase, Mapped

from gis_server.migrations.layer_install import install_layer, uninstall_layer
from layers.base import FeatureMixin, field, geometry_column
from layers.registry import LayerSpec
from layers.roles import EVERYONE


class _ScratchBase(DeclarativeBase):  # its own metadata: the app's schema never sees the scratch table
    metadata = MetaData()


class Kiosk(FeatureMixin, _ScratchBase):
    __tablename__ = "scratch_kiosks"

    name: Mapped[str] = field(Text, "名称", required=True)
    geom = geometry_column("Point")


KIOSKS = LayerSpec("scratch_kiosks", "测试亭", "测试", Kiosk, "Point", EVERYONE, frozenset())  # type: ignore[arg-type]


@pytest.fixture
def owner(database_urls) -> Iterator[Connection]:
    """The schema owner (as a migration runs), in a transaction rolled back at the end."""
    engine = create_engine(database_urls.owner)
    with engine.connect() as connection:
        transaction = connection.begin()
        KIOSKS.table.create(connection)
        install_layer(Operations(MigrationContext.configure(connection)), KIOSKS)
        yield connection
        transaction.rollback()
    engine.dispose()


def _triggers(conn: Connection, table: str) -> set[tuple[str, int, str]]:
    """(name without the table, timing/event bits, function) of the table's own triggers."""
    rows = conn.execute(text("SELECT t.tgname, t.tgtype, p.proname FROM pg_trigger t "
                             "JOIN pg_proc p ON p.oid = t.tgfoid "
                             "WHERE t.tgrelid = CAST(:t AS regclass) AND NOT t.tgisinternal"), {"t": table}).all()
    return {(name.removeprefix(table), kind, function.replace(table, "{t}")) for name, kind, function in rows}


def test_an_installed_table_has_the_triggers_of_an_existing_layer(owner):
    assert _triggers(owner, "scratch_kiosks") == _triggers(owner, "shelters")
    assert {name for name, _, _ in _triggers(owner, "shelters")} == {
        "_before_write", "_history_insert", "_history_update", "_history_delete", "_audit_insert", "_audit_update",
        "_audit_delete", "_listed_insert", "_listed_update", "_listed_delete", "_data_version", "_data_insert",
        "_data_update", "_data_delete"}


def test_an_installed_table_keeps_history_audit_listed_text_and_data_version(owner):
    owner.execute(text("SELECT set_config('gis.user', '测试员', true), set_config('gis.reason', '安装检查', true)"))
    kiosk = owner.execute(text("INSERT INTO scratch_kiosks (name, geom) VALUES ('一号亭', "
                               "ST_SetSRID(ST_Point(122.7, 40.85), 4490)) RETURNING id")).scalar_one()
    owner.execute(text("UPDATE scratch_kiosks SET name = '二号亭' WHERE id = :id"), {"id": kiosk})
    history = owner.execute(text("SELECT version, operation, changed_by, data->>'name' FROM feature_history "
                                 "WHERE layer = 'scratch_kiosks' AND feature_id = :id ORDER BY version"),
                            {"id": kiosk}).all()
    assert history == [(1, "insert", "测试员", "一号亭"), (2, "update", "测试员", "二号亭")]
    audit = owner.execute(text("SELECT action, username, old_version, new_version, reason FROM audit_log "
                               "WHERE layer = 'scratch_kiosks' AND feature_id = :id ORDER BY id"), {"id": kiosk}).all()
    assert audit == [("insert", "测试员", None, 1, "安装检查"), ("update", "测试员", 1, 2, "安装检查")]
    listed = owner.execute(text("SELECT CAST(feature AS json)->'properties'->>'name', "
                                "CAST(feature AS json)->'properties'->>'version' FROM listed_features "
                                "WHERE layer = 'scratch_kiosks' AND id = :id"), {"id": kiosk}).one()
    assert listed == ("二号亭", "2")
    assert owner.execute(text("SELECT version FROM layer_data_versions WHERE layer_table = 'scratch_kiosks'")
                         ).scalar_one() == 2
    # where each statement wrote (0029): the point, twice
    assert owner.execute(text("SELECT version, west, south FROM layer_data_changes "
                              "WHERE layer_table = 'scratch_kiosks' ORDER BY version")).all() == [
        (1, 122.7, 40.85), (2, 122.7, 40.85)]
    owner.execute(text("DELETE FROM scratch_kiosks WHERE id = :id"), {"id": kiosk})
    assert owner.execute(text("SELECT count(*) FROM listed_features WHERE layer = 'scratch_kiosks'")).scalar_one() == 0


def test_install_is_rerunnable_and_uninstall_leaves_nothing_behind(owner):
    operations = Operations(MigrationContext.configure(owner))
    install_layer(operations, KIOSKS)  # a second time: nothing doubles
    assert _triggers(owner, "scratch_kiosks") == _triggers(owner, "shelters")
    uninstall_layer(operations, KIOSKS)
    owner.execute(text("DROP TABLE scratch_kiosks"))
    assert owner.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'gis_scratch_kiosks_listed'")
                         ).scalar_one() == 0
    assert owner.execute(text("SELECT count(*) FROM layer_data_versions WHERE layer_table = 'scratch_kiosks'")
                         ).scalar_one() == 0


def test_one_statement_of_many_rows_writes_each_rows_history_audit_and_text(owner):
    """History, audit and listed texts are written per statement (migration 0031): one UPDATE of three rows
    gives three history rows, three audit rows and three texts, each with its own operation and versions —
    a retired row as 'retire', the others as the transaction's operation."""
    owner.execute(text("SELECT set_config('gis.user', '批量员', true), set_config('gis.reason', '批量', true)"))
    ids = owner.execute(text("INSERT INTO scratch_kiosks (name, geom) SELECT '亭' || n, "
                             "ST_SetSRID(ST_Point(122.7 + n / 100.0, 40.85), 4490) FROM generate_series(1, 3) n "
                             "RETURNING id")).scalars().all()
    owner.execute(text("SELECT set_config('gis.operation', 'restore', true)"))
    owner.execute(text("UPDATE scratch_kiosks SET name = name || '改', "
                       "retired_at = CASE WHEN id = :last THEN now() END WHERE id = ANY(:ids)"),
                  {"ids": ids, "last": ids[-1]})
    owner.execute(text("DELETE FROM scratch_kiosks WHERE id = :first"), {"first": ids[0]})
    history = owner.execute(text("SELECT feature_id, version, operation, changed_by, reason, data->>'name' "
                                 "FROM feature_history WHERE layer = 'scratch_kiosks' ORDER BY feature_id, version")
                            ).all()
    a, b, c = ids
    assert history == [(a, 1, "insert", "批量员", "批量", "亭1"), (a, 2, "restore", "批量员", "批量", "亭1改"),
                       (a, 3, "delete", "批量员", "批量", "亭1改"),
                       (b, 1, "insert", "批量员", "批量", "亭2"), (b, 2, "restore", "批量员", "批量", "亭2改"),
                       (c, 1, "insert", "批量员", "批量", "亭3"), (c, 2, "retire", "批量员", "批量", "亭3改")]
    audit = owner.execute(text("SELECT feature_id, action, old_version, new_version FROM audit_log "
                               "WHERE layer = 'scratch_kiosks' ORDER BY feature_id, id")).all()
    assert audit == [(a, "insert", None, 1), (a, "restore", 1, 2), (a, "delete", 2, None),
                     (b, "insert", None, 1), (b, "restore", 1, 2),
                     (c, "insert", None, 1), (c, "retire", 1, 2)]
    texts = owner.execute(text("SELECT id, CAST(feature AS json)->'properties'->>'name' FROM listed_features "
                               "WHERE layer = 'scratch_kiosks' ORDER BY id")).all()
    assert texts == [(b, "亭2改"), (c, "亭3改")]
    calls = owner.execute(text("SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = 'scratch_kiosks'::regclass "
                               "AND NOT t.tgisinternal AND t.tgtype & 1 = 1")).scalar_one()
    assert calls == 1  # only the BEFORE trigger (version, stamps) runs per row
