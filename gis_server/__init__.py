"""海城民政一张图 — the HTTP service, its settings, database and CLI."""
