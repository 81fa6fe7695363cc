"""Personal-data protection shared by every output path (lists, single features, tiles, exports).

Filled in by the accounts issue: masking expressions per personal field, and the rows a role
may see on a shared map (never households with children under 14 outside the case office).
"""

from __future__ import annotations

from layers.features import Actor
from layers.registry import LayerSpec


def masked_expressions(spec: LayerSpec, actor: Actor, alias: str = "t") -> dict[str, str]:
    """SQL expressions that replace personal columns in output (column name → expression)."""
    return {}


def visible_rows_sql(spec: LayerSpec, actor: Actor, alias: str = "t") -> str | None:
    """An extra WHERE condition limiting which rows ``actor`` may see on a map, or None."""
    return None
