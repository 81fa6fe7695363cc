"""Writing a checked import: one transaction for the whole file, a few set-based statements.

The commit writes the dry run's checked rows (``layers.imports.staged``; the file is not read again).
In its transaction it first re-checks what may have changed since (``check.recheck``: live codes, each
row's live record by its natural key, what the user may see), then runs the layer's ``prepare_write``
hook on each new or changed row (households: the ID number validated, encrypted, hashed — no query per
row: its hash was looked up for the whole file by the re-check) and writes them all with
:func:`layers.batch_write.write_features` (new rows by one COPY into the layer's table, changes by one
UPDATE from a temporary table): history and audit by the database triggers, in the importing user's name.
An unchanged row is left alone, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from layers.batch_write import BatchRow, write_features
from layers.features import WriteContext
from layers.imports.check import DryRun, Planned
from layers.registry import LayerSpec
from layers.roles import Actor

IMPORT_SOURCE = "import"  # the rows' ``source`` column


def commit(conn: Any, spec: LayerSpec, run: DryRun, *, actor: Actor, reason: str,
           context: Callable[[int | None, Any], WriteContext],
           progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write the planned rows of a (re-)checked run without problems, inside ``conn``'s transaction.

    ``context(feature_id, geom)`` gives each write's :class:`WriteContext` (cipher, guard).
    Returns the counts written. The caller rolls back on any error: all or nothing.
    """
    if not run.ok:
        raise ValueError("an import with problems is not committed")
    total = len(run.planned)
    counts = {"insert": 0, "update": 0, "unchanged": 0}
    for planned in run.planned:
        counts[planned.action] += 1
    written = [p for p in run.planned if p.action != "unchanged"]
    # looked up in one query by the re-check in this transaction: unregistered, or the row's own record
    looked_up = frozenset(v for p in written for v in p.checked)
    rows = [_prepared(spec, p, context, looked_up) for p in written]
    if progress:
        progress(total - len(rows), total)
    write_features(conn, spec, rows, actor, reason, source=IMPORT_SOURCE)
    if progress:
        progress(total, total)
    return counts


def _prepared(spec: LayerSpec, planned: Planned, context: Callable[[int | None, Any], WriteContext],
              looked_up: frozenset[Any]) -> BatchRow:
    feature_id, version = planned.existing or (None, None)
    props = planned.properties
    if spec.prepare_write is not None:
        props = spec.prepare_write(props, replace(context(feature_id, planned.geom), checked_unique=looked_up))
    return BatchRow(props, planned.geom, feature_id, version)
