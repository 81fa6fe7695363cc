"""Opening uploaded files safely: the one place every importer receives and opens a file.

- :func:`receive` — the declared format from the endpoint's allow-list, the content checked against
  it, a private copy under a generated name (removed afterwards), size and zip bounds;
- :func:`read_features` / :func:`layers_of` — GDAL reading by the declared driver only;
- :func:`read_table` — CSV/XLSX rows, bounded in rows and cell size;
- :func:`lock_down_gdal` — process-wide: no VRT or other recipe/network drivers, no network paths.
  It runs when this package is imported, and the app factory and the CLI call it again.

Every refusal is a :class:`FileRefused` with a Chinese message. This package imports nothing of
the project (it sits below ``layers``).
"""

from formats.errors import FileRefused
from formats.lockdown import lock_down_gdal
from formats.opening import FORMATS, FileFormat, Upload, declared_format, receive, suffixes_of
from formats.reading import layers_of, read_features
from formats.tables import MAX_CELL_CHARS, Table, read_table

lock_down_gdal()

__all__ = ["FORMATS", "MAX_CELL_CHARS", "FileFormat", "FileRefused", "Table", "Upload", "declared_format",
           "layers_of", "lock_down_gdal", "read_features", "read_table", "receive", "suffixes_of"]
