"""Each feature as lists show it (GeoJSON text, personal fields masked), kept ready in
``listed_features``.

Building 17 properties per feature (masks, timestamps) was 60 % of a 1,000-feature page; a trigger
on every layer table now builds the text once per write — by the API or straight in SQL (QGIS) —
and lists join it by id (bench/bench_features.py). It is a side table, not a column: a column
made every row three times wider, and the box scans behind counts, tiles and coverage read three
times as many pages.

The trigger functions are generated here from the registry and frozen in migrations;
tests/layers/test_listed_features.py compares the database's functions with
:func:`trigger_body`, so a change of fields or masks without a migration fails the tests.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from layers.base import Base
from layers.features import LISTED_TABLE, feature_sql
from layers.masks import output_masks
from layers.registry import LayerSpec
from layers.triggers import statement_triggers_sql


class ListedFeature(Base):
    __tablename__ = LISTED_TABLE

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    feature: Mapped[str] = mapped_column(Text, nullable=False)


# timestamps in the text as the app writes them (its sessions run in UTC), whoever writes the row
FUNCTION_SETTINGS = "TimeZone = 'UTC'"


def function_name(spec: LayerSpec) -> str:
    return f"gis_{spec.table.name}_listed"


def trigger_name(spec: LayerSpec) -> str:
    """The triggers' common prefix: ``{table}_listed_insert``, ``…_update``, ``…_delete``."""
    return f"{spec.table.name}_listed"


def trigger_body(spec: LayerSpec) -> str:
    """The plpgsql body of the layer's trigger function (as ``pg_proc.prosrc`` holds it): statement-level,
    every row of the statement written by one INSERT … SELECT from its transition table (``layers.triggers``).
    """
    layer = spec.name.replace("'", "''")
    return (f"\nBEGIN\n"
            f"  IF TG_OP = 'DELETE' THEN\n"
            f"    DELETE FROM {LISTED_TABLE} WHERE layer = '{layer}' AND id IN (SELECT o.id FROM old_rows o);\n"
            f"    RETURN NULL;\n"
            f"  END IF;\n"
            f"  INSERT INTO {LISTED_TABLE} (layer, id, feature)\n"
            f"  SELECT '{layer}', n.id, {feature_sql(spec, 'n', output_masks(spec))} FROM new_rows n\n"
            f"  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;\n"
            f"  RETURN NULL;\nEND ")


def install_sql(spec: LayerSpec) -> str:
    """The function and its triggers (re-runnable; the row-level trigger of before migration 0031 dropped),
    as a migration runs them.
    """
    table = spec.table.name
    triggers = statement_triggers_sql(table, "listed", function_name(spec))
    return (f"CREATE OR REPLACE FUNCTION {function_name(spec)}() RETURNS trigger LANGUAGE plpgsql "
            f"SET {FUNCTION_SETTINGS} AS $${trigger_body(spec)}$$;\n"
            f"DROP TRIGGER IF EXISTS {trigger_name(spec)} ON {table};\n" + ";\n".join(triggers) + ";\n")


def refill_statements(spec: LayerSpec) -> list[str]:
    """Every row's text written again as the trigger would write it (no new version, no history), and
    texts of rows that are gone dropped: after a change of fields or masks, or a load without triggers.
    """
    layer = spec.name.replace("'", "''")
    return [f"SET LOCAL {FUNCTION_SETTINGS}",
            f"INSERT INTO {LISTED_TABLE} (layer, id, feature) "
            f"SELECT '{layer}', t.id, {feature_sql(spec, 't', output_masks(spec))} FROM {spec.table.name} t "
            "ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature",
            f"DELETE FROM {LISTED_TABLE} l WHERE l.layer = '{layer}' "
            f"AND NOT EXISTS (SELECT 1 FROM {spec.table.name} t WHERE t.id = l.id)"]


def rebuild(conn: Connection, specs: list[LayerSpec]) -> dict[str, int]:
    """Write every listed text of ``specs`` again from the current models (``haicheng-gis listed
    rebuild``, in the caller's transaction); returns the number of texts per layer.
    """
    counts = {}
    for spec in specs:
        for statement in refill_statements(spec):
            conn.exec_driver_sql(statement)
        counts[spec.name] = conn.execute(text(f"SELECT count(*) FROM {LISTED_TABLE} WHERE layer = :layer"),
                                         {"layer": spec.name}).scalar_one()
    return counts


if __name__ == "__main__":  # the SQL for a migration: python -m layers.listed
    from layers.catalog import registry

    for layer_spec in registry():
        print(install_sql(layer_spec))
        print(";\n".join(refill_statements(layer_spec)) + ";\n")
