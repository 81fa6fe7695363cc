"""Drain the change queue: one batch at a time, in order, each change marked with what it caused.

Triggers (migration 0025) append to ``compliance_changes`` for every write to a watched layer, whatever
wrote it, and notify ``compliance``. :func:`drain` takes every pending change under a transaction-level
advisory lock (one drainer at a time across processes; a second one returns ``busy`` at once), hands the
batch to each topic's handler and stamps the changes processed with their outcome. A change committed
while a batch runs is not in it and waits for the next. :func:`drain_job` is the background job's
entry point (the service's worker thread, ``haicheng-gis compliance drain``, or a general job runner).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, Engine, text

from layers.catalog import registry
from layers.compliance import others, siting
from layers.compliance.siting import Change
from layers.siting.rules import CONSTRAINTS, get_rule_set

# the channel the queue triggers notify at commit (migration 0025); the service listens on it
COMPLIANCE_CHANNEL = "compliance"

LOCK_KEY = 90_0025

# the layers whose history rows queue a re-check (the trigger of migration 0025, re-made from this list by
# gis_server.migrations.layer_install): the 三沿六区 constraints, the siting records that are layers, and
# the layers of the other rules (coverage: every layer that declares it counts)
WATCHED = tuple(dict.fromkeys([
    *(c.layer for c in CONSTRAINTS.values()),
    *(layer for layer in siting.RECORDS if layer in registry().names()),
    *(layer for layer, _ in others.HANDLERS)]))


def pending(conn: Connection) -> list[Change]:
    rows = conn.execute(text("SELECT id, source, feature_id, version, operation, history_id FROM compliance_changes "
                             "WHERE processed_at IS NULL ORDER BY id FOR UPDATE"))
    return [Change(*r) for r in rows]


def drain(conn: Connection) -> dict[str, Any]:
    """Process every pending change in one transaction; returns a summary."""
    if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar_one():
        return {"status": "busy"}
    t0 = time.perf_counter()
    changes = pending(conn)
    if not changes:
        return {"status": "clean", "changes": 0}
    rule_set = get_rule_set(conn)
    summary: dict[str, Any] = {"status": "done", "changes": len(changes)}
    summary["siting"] = siting.handle(conn, changes, rule_set)
    summary.update(others.handle(conn, changes))
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    ids = [c.id for c in changes]
    conn.execute(text(
        "UPDATE compliance_changes c SET processed_at = clock_timestamp(), outcome = CAST(:batch AS jsonb) || "
        "jsonb_build_object('findings', coalesce((SELECT jsonb_object_agg(f.kind, f.n) FROM (SELECT kind, count(*) "
        "AS n FROM compliance_findings WHERE change_id = c.id GROUP BY kind) f), '{}'::jsonb)) "
        "WHERE c.id = ANY(:ids)"),
        {"ids": ids, "batch": json.dumps({"batch_seconds": summary["seconds"], "batch_changes": len(changes)})})
    return summary


def drain_job(engine: Engine) -> dict[str, Any]:
    """The background job: one transaction on its own connection (jit off, as the service runs)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL jit = off"))
        return drain(conn)
