"""Writing a checked import: one transaction for the whole file, every row through the feature store.

A new row is created, a changed one becomes a new version of its record (history and audit by the
database triggers, in the importing user's name), an unchanged one is left alone — so importing the
same file twice changes nothing the second time.

Each write gets the checks of the API's write path (``layers.write_checks``), the set-based ones once
per file in the same transaction: the dry run runs again inside it, so codes name live villages and
townships (``columns.Places``, the check of ``check_references``) and every row whose natural key a live
record has is an update of that record (``check.match``, the check of ``check_natural_key``; the
database's unique indexes hold it too). The layer's own hooks run per row, as for any write:
``prepare_write`` (households: the ID number validated, encrypted, hashed, refused if registered) and
``validate_write``. New rows are then inserted in batches (one round trip per batch, not per row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, text

from layers.features import (
    ProposedWrite,
    WriteContext,
    _bind,
    _geometry_param,
    _value_sql,
    q,
    require_version,
    set_actor,
    update_feature,
    validate_write,
)
from layers.imports.check import PROGRESS_EVERY, DryRun, Planned
from layers.registry import LayerSpec
from layers.roles import Actor
from layers.write_checks import run_write_checks

IMPORT_SOURCE = "import"  # the rows' ``source`` column
BATCH = 1000  # rows per INSERT round trip


def commit(conn: Connection, spec: LayerSpec, run: DryRun, *, actor: Actor, reason: str,
           context: Callable[[int | None, Any], WriteContext],
           progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write the planned rows of a dry run without problems, inside ``conn``'s transaction.

    ``context(feature_id, geom)`` gives each write its :class:`WriteContext` (cipher, guard).
    Returns the counts written. The caller rolls back on any error: all or nothing.
    """
    if not run.ok:
        raise ValueError("an import with problems is not committed")
    counts = {"insert": 0, "update": 0, "unchanged": 0}
    total = len(run.planned)
    pending: list[Planned] = []
    set_actor(conn, actor, reason)
    for done, planned in enumerate(run.planned, start=1):
        counts[planned.action] += 1
        if planned.action == "insert":
            pending.append(planned)
        elif planned.action == "update":
            assert planned.existing is not None
            feature_id, version = planned.existing
            require_version(conn, spec, feature_id, version)
            props = run_write_checks(spec, planned.properties, context(feature_id, planned.geom), partial=True)
            update_feature(conn, spec, feature_id, version, props, planned.geom, actor, reason)
        if len(pending) == BATCH or done == total:
            _insert(conn, spec, pending, actor, context)
            pending = []
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return counts


def _insert(conn: Connection, spec: LayerSpec, rows: list[Planned], actor: Actor,
            context: Callable[[int | None, Any], WriteContext]) -> None:
    """Insert ``rows`` (the layer's hooks run per row first) with one statement run for all of them."""
    if not rows:
        return
    prepared = []
    # looked up in one query by the dry run in this transaction and not found (check.match)
    unregistered = frozenset(v for planned in rows for v in planned.checked)
    for planned in rows:
        props = planned.properties
        if spec.prepare_write is not None:
            ctx = replace(context(None, planned.geom), checked_unique=unregistered)
            props = spec.prepare_write(props, ctx)
        validate_write(spec, ProposedWrite(conn, "insert", None, props, planned.geom, actor))
        prepared.append((props, planned.geom))
    fields = {f.name: f for f in spec.stored_fields}
    names = sorted({n for props, _ in prepared for n in props if n in fields})
    columns = ", ".join([*(q(n) for n in names), "source", "geom"])
    values = ", ".join([*(_value_sql(spec, fields[n], f"v_{n}") for n in names), ":source",
                        "ST_GeomFromWKB(:wkb, 4490)"])
    params = [{**{f"v_{n}": _bind(spec, n, props.get(n)) for n in names}, "source": IMPORT_SOURCE,
               "wkb": _geometry_param(geom)} for props, geom in prepared]
    conn.execute(text(f"INSERT INTO {q(spec.table.name)} ({columns}) VALUES ({values})"), params)
