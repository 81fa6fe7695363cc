"""Writing a checked import: one transaction for the whole file, every row through the feature store.

A new row is created, a changed one becomes a new version of its record (history and audit by the
database triggers, in the importing user's name), an unchanged one is left alone — so importing the
same file twice changes nothing the second time. Each write runs the same checks and hooks as the API
(``layers.write_checks``: references, the layer's hook — households' ID numbers are validated,
encrypted and hashed —, the natural key), so an import can store nothing the API would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from layers.features import WriteContext, create_feature, require_version, update_feature
from layers.imports.check import PROGRESS_EVERY, DryRun
from layers.registry import LayerSpec
from layers.roles import Actor
from layers.write_checks import run_write_checks

IMPORT_SOURCE = "import"  # the rows' ``source`` column


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
    for done, planned in enumerate(run.planned, start=1):
        counts[planned.action] += 1
        if planned.action == "insert":
            props = run_write_checks(spec, planned.properties, context(None, planned.geom), partial=False)
            create_feature(conn, spec, props, planned.geom, actor, reason, source=IMPORT_SOURCE)
        elif planned.action == "update":
            assert planned.existing is not None
            feature_id, version = planned.existing
            require_version(conn, spec, feature_id, version)
            props = run_write_checks(spec, planned.properties, context(feature_id, planned.geom), partial=True)
            update_feature(conn, spec, feature_id, version, props, planned.geom, actor, reason)
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return counts
