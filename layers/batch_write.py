"""Batch writing for imports: many checked features in a few set-based statements.

New features are copied (``COPY``) straight into the layer's table; changes go through a temporary
table and one UPDATE … FROM. The same triggers, actor and stale-write rule as the single writes of
:mod:`layers.features` (split from it: one module, one job).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import shapely
from psycopg.types.json import Jsonb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

from layers.features import ProposedWrite, no_row_error, q, set_actor, validate_write
from layers.registry import LayerSpec
from layers.roles import Actor


@dataclass(frozen=True)
class BatchRow:
    """One row of :func:`write_features`: a new feature (``feature_id`` None) or a change of one at
    ``version``; ``properties`` are checked and prepared (the layer's ``prepare_write`` has run).
    """

    properties: dict[str, Any]
    geom: BaseGeometry
    feature_id: int | None = None
    version: int | None = None


BATCH_TABLE = "pg_temp.feature_batch"


def write_features(conn: Connection, spec: LayerSpec, rows: list[BatchRow], actor: Actor, reason: str | None,
                   source: str = "user") -> dict[str, int]:
    """Insert and update many checked features with a few set-based statements, in ``conn``'s transaction.

    New features are copied (``COPY``) straight into the layer's table; changes are copied into a
    temporary table and written by one UPDATE … FROM per set of columns. The history, listing and audit
    triggers run for each row as for any write (COPY fires the statement triggers as an INSERT does), in
    ``actor``'s name. The layer's ``validate_write`` hook runs for each row first. A change of a feature
    no longer at its version, retired or missing refuses the whole batch (as :func:`update_feature` does).
    Returns the counts inserted and updated.
    """
    for row in rows:
        operation = "insert" if row.feature_id is None else "update"
        validate_write(spec, ProposedWrite(conn, operation, row.feature_id, row.properties, row.geom, actor))
    set_actor(conn, actor, reason)
    fields = {f.name: f for f in spec.stored_fields}
    groups: dict[tuple[str, ...], list[BatchRow]] = {}
    for row in rows:  # an import gives every row the same columns: one group, as a rule
        groups.setdefault(tuple(sorted(n for n in row.properties if n in fields)), []).append(row)
    counts = {"insert": 0, "update": 0}
    for names, group in groups.items():
        new = [row for row in group if row.feature_id is None]
        changed = [row for row in group if row.feature_id is not None]
        if new:
            counts["insert"] += _copy_new(conn, spec, names, new, source)
        if changed:
            _stage(conn, spec, names, changed)
            counts["update"] += _update_staged(conn, spec, names, changed)
    return counts


def _copy_rows(conn: Connection, spec: LayerSpec, statement: str, names: tuple[str, ...], rows: list[BatchRow],
               before: Callable[[int, BatchRow], tuple[Any, ...]], after: tuple[Any, ...] = ()) -> int:
    """``rows`` through one ``COPY … FROM STDIN``: ``before(i, row)``, the values of ``names``, the
    geometry (EWKB), then ``after``. Returns the rows copied.
    """
    json_columns = {n for n in names if isinstance(spec.table.columns[n].type, JSONB)}  # once, not per value
    geometries = shapely.to_wkb(shapely.force_2d([row.geom for row in rows]), hex=True, include_srid=True)
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for number, (row, wkb) in enumerate(zip(rows, geometries, strict=True)):
                    values = [Jsonb(row.properties[n]) if n in json_columns and row.properties[n] is not None
                              else row.properties[n] for n in names]
                    copy.write_row((*before(number, row), *values, wkb, *after))
            return cursor.rowcount
    except psycopg.Error as exc:  # as SQLAlchemy raises it for any statement: the service maps those (409, 422)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from None


def _copy_new(conn: Connection, spec: LayerSpec, names: tuple[str, ...], rows: list[BatchRow], source: str) -> int:
    """New features straight into the layer's table, in the order given (ids follow it)."""
    columns = ", ".join([*(q(n) for n in names), "geom", "source"])
    return _copy_rows(conn, spec, f"COPY {q(spec.table.name)} ({columns}) FROM STDIN", names, rows,
                      lambda number, row: (), (source,))


def _stage(conn: Connection, spec: LayerSpec, names: tuple[str, ...], rows: list[BatchRow]) -> None:
    """Changes into :data:`BATCH_TABLE` (the layer's column types, no constraints), by one COPY."""
    columns = ", ".join([*(q(n) for n in names), "geom"])
    conn.execute(text(f"DROP TABLE IF EXISTS {BATCH_TABLE}"))
    conn.execute(text(f"CREATE TEMP TABLE feature_batch ON COMMIT DROP AS SELECT 0::bigint AS _n, "
                      f"NULL::bigint AS _id, NULL::integer AS _version, {columns} "
                      f"FROM {q(spec.table.name)} WITH NO DATA"))
    _copy_rows(conn, spec, f"COPY {BATCH_TABLE} (_n, _id, _version, {columns}) FROM STDIN", names, rows,
               lambda number, row: (number, row.feature_id, row.version))


def _update_staged(conn: Connection, spec: LayerSpec, names: tuple[str, ...], rows: list[BatchRow]) -> int:
    expected = [row for row in rows if row.feature_id is not None]
    if not expected:
        return 0
    assignments = ", ".join(f"{q(n)} = b.{q(n)}" for n in (*names, "geom"))
    updated = set(conn.execute(text(
        f"UPDATE {q(spec.table.name)} t SET {assignments} FROM {BATCH_TABLE} b "
        "WHERE b._id = t.id AND t.version = b._version AND t.retired_at IS NULL RETURNING t.id")).scalars())
    for row in expected:  # the first one changed meanwhile names the conflict; all is rolled back
        if row.feature_id not in updated:
            assert row.feature_id is not None and row.version is not None
            raise no_row_error(conn, spec, row.feature_id, row.version)
    return len(updated)
