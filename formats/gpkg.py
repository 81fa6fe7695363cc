"""GeoPackage files: write layers with pyogrio, add value domains (uploads are read by ``formats``).

Value domains use the GeoPackage schema extension (``gpkg_data_columns`` and
``gpkg_data_column_constraints``, constraint type ``enum``): GDAL reads them as coded field domains
and QGIS/QField turn them into a value-map widget (code stored, label shown). pyogrio does not
write field domains, so they are added with SQLite after the layers are written.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio

SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name));
CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,
  min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"""


def write_layer(path: Path, frame: gpd.GeoDataFrame, layer: str, title: str, description: str = "",
                geometry_type: str | None = None) -> None:
    """Add one layer (or attribute table, when ``frame`` has no geometry) to a GeoPackage file."""
    options = {"IDENTIFIER": title, "DESCRIPTION": description}
    # GeoPackage 1.2: opened by every QGIS/QField in use (GDAL before 3.7 warns on 1.4 files)
    dataset_options = None if path.exists() else {"VERSION": "1.2"}
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", geometry_type=geometry_type,
                            layer_options=options, dataset_options=dataset_options)


def add_enum_domain(path: Path, table: str, column: str, domain: str, codes: dict[str, str],
                    title: str = "") -> None:
    """Constrain ``table.column`` to ``codes`` (code → label) as a coded value domain named ``domain``."""
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(_SCHEMA_SQL)
        for name in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            db.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
                       (name, SCHEMA_EXTENSION))
        db.execute("DELETE FROM gpkg_data_column_constraints WHERE constraint_name = ?", (domain,))
        db.executemany("INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, value, "
                       "description) VALUES (?, 'enum', ?, ?)", [(domain, c, label) for c, label in codes.items()])
        db.execute("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, "
                   "constraint_name) VALUES (?, ?, ?, ?, ?)", (table, column, column, title or None, domain))


def enum_domains(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """``{(table, column): {code: label}}`` of the enum domains in a GeoPackage."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT c.table_name, c.column_name, k.value, k.description FROM gpkg_data_columns c "
                          "JOIN gpkg_data_column_constraints k ON k.constraint_name = c.constraint_name "
                          "AND k.constraint_type = 'enum'").fetchall()
    out: dict[tuple[str, str], dict[str, str]] = {}
    for table, column, code, label in rows:
        out.setdefault((table, column), {})[code] = label
    return out
