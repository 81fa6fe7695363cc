"""The import pipeline of every layer: read a file (``formats``), map its columns to the layer's fields,
check every row (dry run → report), then write the rows through the feature store (commit).

- :mod:`layers.imports.columns` — header aliases and value conversion (labels → codes);
- :mod:`layers.imports.coordinates` — the file's coordinate system, swaps, zone prefixes;
- :mod:`layers.imports.source` — the rows of a received file;
- :mod:`layers.imports.check` — the dry run: every row's problems;
- :mod:`layers.imports.commit` — the atomic, idempotent write;
- :mod:`layers.imports.state` — the imports table (progress and report) and saved mappings.
"""
