"""Statement-level AFTER triggers with transition tables: one trigger per event (PostgreSQL refuses
transition tables on a trigger of several events), each seeing the statement's rows as ``new_rows``
and/or ``old_rows``. A trigger body then writes for all rows in one set-based statement instead of
once per row (30,000 imported households: one INSERT … SELECT, not 30,000).
"""

from __future__ import annotations

# event → its transition tables, as the trigger functions name them
EVENTS = (("INSERT", "NEW TABLE AS new_rows"),
          ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
          ("DELETE", "OLD TABLE AS old_rows"))


def statement_trigger_names(table: str, kind: str) -> list[str]:
    """``{table}_{kind}_insert``, ``…_update``, ``…_delete``."""
    return [f"{table}_{kind}_{event.lower()}" for event, _ in EVENTS]


def statement_triggers_sql(table: str, kind: str, function: str) -> list[str]:
    """Re-runnable: each trigger of ``kind`` dropped, then created on its event with its transition tables."""
    statements = []
    for name, (event, transition) in zip(statement_trigger_names(table, kind), EVENTS, strict=True):
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
                          f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    return statements
