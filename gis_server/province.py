"""A province-scale dataset from the county's (issue 18 item 6): ``haicheng-gis demo province --factor 100``.

A province is modelled as ``factor`` counties: copy k of every household, place name and scattered grave
is moved by whole degrees onto a grid of counties (10 a row, 1.0° east and 0.8° north apart), so that a
county-sized question anywhere has a county-sized answer while the tables are ``factor`` times larger —
what the scale benchmarks need to show that cost follows the answer, not the table. Copies are marked
``source = 'province'``; codes that must be unique are left empty in them; village and township codes
are the county's (aggregates by village count every copy).

One transaction as the schema owner, with the tables' own triggers off (history and audit rows of a
generated dataset would be noise, and ten times its size); the listed texts are rebuilt for the copies.
Stopped midway, it leaves nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from layers.catalog import registry
from layers.listed import rebuild

TABLES = ("households", "place_names", "scattered_graves")
SOURCE = "province"
PER_ROW = 10
STEP_LON, STEP_LAT = 1.0, 0.8

_COLUMNS = text("""
    SELECT a.attname,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND NOT i.indisprimary
                   AND i.indkey::int2[] @> ARRAY[a.attnum]) AS is_unique
    FROM pg_attribute a
    WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      AND a.attidentity = '' AND a.attname NOT IN ('id', 'geom')
    ORDER BY a.attnum""")


def generate(engine: Engine, factor: int, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Make the province ``factor`` counties large (replacing one made before); returns the rows per table."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in TABLES:
            started = time.perf_counter()
            columns = conn.execute(_COLUMNS, {"t": table}).all()
            targets = ", ".join(f'"{name}"' for name, _ in columns)
            values = ", ".join("NULL" if unique else (f"'{SOURCE}'" if name == "source" else f't."{name}"')
                               for name, unique in columns)
            conn.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER USER'))
            conn.execute(text(f"DELETE FROM \"{table}\" WHERE source = '{SOURCE}'"))  # a smaller province made before
            conn.execute(text(f"""
                INSERT INTO "{table}" ({targets}, geom)
                SELECT {values}, ST_Translate(t.geom, (k % {PER_ROW}) * {STEP_LON}, (k / {PER_ROW}) * {STEP_LAT})
                FROM "{table}" t, generate_series(1, :copies) k"""), {"copies": factor - 1})
            conn.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER USER'))
            counts[table] = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            echo(f"{table}: {counts[table]:,} rows ({time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
        rebuild(conn, [spec for spec in registry() if spec.name in TABLES])
        echo(f"listed texts rebuilt ({time.perf_counter() - started:.1f} s)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (*TABLES, "listed_features"):
            conn.execute(text(f'VACUUM ANALYZE "{table}"'))
    return counts
