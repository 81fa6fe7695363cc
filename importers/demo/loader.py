"""Load the demo dataset: replace earlier demo rows (``source='demo'``) and never touch others.

A second load of the same dataset (same generator version and seed, rows still there) is a
no-op; ``force=True`` reloads regardless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import shapely
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import Connection, Engine, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import IntegrityError

from importers.demo.common import DATASET, ID_BASE, LABEL, SOURCE, Table, fingerprint, to_lonlat
from importers.demo.dataset import TABLE_ORDER, build_all
from layers import audit
from layers.base import STORAGE_SRID, Base
from layers.demo_state import DemoState  # noqa: F401  (registers the demo_state table on Base.metadata)
from layers.errors import Conflict
from layers.features import q, set_actor
from layers.roles import Actor

ACTOR = Actor("demo-loader")
BATCH = 2000


def _tables() -> dict[str, Any]:
    from layers.catalog import registry

    return {spec.table.name: spec.table for spec in registry()}


def demo_counts(conn: Connection) -> dict[str, int]:
    return {name: conn.execute(text(f"SELECT count(*) FROM {q(name)} WHERE source = :s"), {"s": SOURCE}).scalar_one()
            for name in TABLE_ORDER}


def _state(conn: Connection) -> tuple[str, dict[str, int]] | None:
    row = conn.execute(text("SELECT fingerprint, counts FROM demo_state WHERE dataset = :d"), {"d": DATASET}).first()
    return (row[0], row[1]) if row else None


def delete_demo_rows(conn: Connection, echo: Callable[[str], None] = print) -> int:
    """Delete every demo row (children first) and the history rows of those rows only.

    Demo rows that users' own records point to (an inspection campaign on a demo boundary line) are
    not deleted: :class:`Conflict`, and the caller's transaction changes nothing.
    """
    # officers are not a layer: the demo's are those with ids of the demo range (importers.demo.child_welfare)
    total = conn.execute(text("DELETE FROM child_welfare_officers WHERE id >= :base"), {"base": ID_BASE}).rowcount
    for name in reversed(TABLE_ORDER):
        try:
            with conn.begin_nested():
                ids = [r[0] for r in conn.execute(text(f"DELETE FROM {q(name)} WHERE source = :s RETURNING id"),
                                                  {"s": SOURCE})]
        except IntegrityError as e:
            if not isinstance(e.orig, ForeignKeyViolation):
                raise
            detail = e.orig.diag.message_detail or ""
            raise Conflict(f"不能重新加载示例数据：表 {name} 中的示例记录仍被其他记录引用"
                           f"{f'（{detail}）' if detail else ''}。请先删除引用它们的记录（例如用示例界线建立的"
                           "联检任务）再重新加载；现有示例数据保持不变。",
                           f"demo rows of {name} are referenced by other rows: {detail}") from None
        if ids:
            conn.execute(text("DELETE FROM feature_history WHERE layer = :layer AND feature_id = ANY(:ids)"),
                         {"layer": name, "ids": ids})
        total += len(ids)
    echo(f"  删除旧示例数据 {total} 行")
    return total


def _insert(conn: Connection, table: Table, columns: Any) -> None:
    names = sorted({k for row in table.rows for k in row if k not in ("geom",)} - {"id"})
    values = []
    for n in names:
        col_type = columns[n].type
        if isinstance(col_type, JSONB):
            values.append(f"CAST(:{n} AS jsonb)")
        elif isinstance(col_type, ARRAY):
            values.append(f"CAST(:{n} AS text[])")
        else:
            values.append(f":{n}")
    sql = text(f"INSERT INTO {q(table.name)} (id, {', '.join(q(n) for n in names)}, source, geom) "
               f"VALUES (:id, {', '.join(values)}, '{SOURCE}', ST_GeomFromWKB(:wkb, {STORAGE_SRID}))")
    geoms = to_lonlat(shapely.force_2d([row["geom"] for row in table.rows]))
    wkbs = shapely.to_wkb(geoms)
    jsonb = {n for n in names if isinstance(columns[n].type, JSONB)}
    params = []
    for row, wkb in zip(table.rows, wkbs, strict=True):
        p = {n: row.get(n) for n in names}
        for n in jsonb:
            p[n] = json.dumps(p[n], ensure_ascii=False) if p[n] is not None else None
        p["id"], p["wkb"] = row["id"], wkb
        params.append(p)
    for i in range(0, len(params), BATCH):
        conn.execute(sql, params[i:i + BATCH])


def _require_owner(conn: Connection) -> None:
    """Only the schema owner may replace rows and their history (the service's role may not delete
    history, and its writes are audited row by row).
    """
    if not conn.execute(text("SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
                             "WHERE oid = 'feature_history'::regclass")).scalar_one():
        raise Conflict("示例数据须以数据库属主角色加载（GIS_DATABASE_OWNER_URL，即 haicheng-gis demo load "
                       "所用的连接）；当前连接的角色无权替换示例数据及其历史，未做任何更改。",
                       "the demo load needs the schema owner's connection (GIS_DATABASE_OWNER_URL)")
def _insert_officers(conn: Connection, officers: list[dict[str, Any]]) -> None:
    if officers:
        conn.execute(text("INSERT INTO child_welfare_officers (id, role, unit_code, name, phone, note, created_by, "
                          f"updated_by) VALUES (:id, :role, :unit_code, :name, :phone, :note, '{ACTOR.name}', "
                          f"'{ACTOR.name}')"), officers)


def load_demo(engine: Engine, echo: Callable[[str], None] = print, force: bool = False) -> dict[str, int]:
    """Build and load the deterministic Haicheng demo dataset; returns the row count per table."""
    start = time.perf_counter()
    wanted = fingerprint()
    with engine.connect() as conn:
        _require_owner(conn)  # before the dataset is built (seconds)
        state = _state(conn)
        if not force and state and state[0] == wanted and state[1] == demo_counts(conn):
            echo(f"示例数据已是最新（{wanted}），未重新加载；用 force 重新加载。")
            return state[1]
    echo(f"生成{LABEL}（指纹 {wanted}）…")
    data, officers = build_all(echo)
    columns = _tables()
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL jit = off"))
        set_actor(conn, ACTOR, LABEL)
        # one audit entry for the whole load instead of one per row (migration 0002; for the owner only, 0013)
        conn.execute(text("SELECT set_config('gis.bulk', 'on', true)"))
        delete_demo_rows(conn, echo)
        for name in TABLE_ORDER:
            t0 = time.perf_counter()
            _insert(conn, data[name], columns[name].columns)
            counts[name] = len(data[name])
            echo(f"  写入 {name:<22} {counts[name]:>6} 行  {time.perf_counter() - t0:.1f} s")
        _insert_officers(conn, officers)
        echo(f"  写入 {'child_welfare_officers':<22} {len(officers):>6} 行")
        conn.execute(text(
            "INSERT INTO demo_state (dataset, fingerprint, counts, loaded_at) "
            "VALUES (:d, :f, CAST(:c AS jsonb), now()) "
            "ON CONFLICT (dataset) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, counts = EXCLUDED.counts, "
            "loaded_at = EXCLUDED.loaded_at"), {"d": DATASET, "f": wanted, "c": json.dumps(counts)})
        audit.record(conn, ACTOR, "bulk_load", reason=LABEL, dataset=DATASET, fingerprint=wanted, counts=counts)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in TABLE_ORDER:
            conn.execute(text(f"ANALYZE {q(name)}"))
    echo(f"示例数据加载完成：{sum(counts.values())} 行，用时 {time.perf_counter() - start:.1f} s")
    return counts


__all__ = ["Base", "delete_demo_rows", "demo_counts", "load_demo"]
