"""How personal fields are masked in SQL output (lists, exports, single reads without a reveal).

A leaf module: the feature store builds listed features with these masks, and ``layers.privacy``
(which needs the feature store) decides who sees them.
"""

from __future__ import annotations

from layers.registry import LayerSpec

# SQL masks by kind, applied to the column expression {c}
SQL_MASKS = {
    "name": "CASE WHEN {c} IS NULL THEN NULL WHEN char_length({c}) < 2 THEN '*' "
            "ELSE left({c}, 1) || repeat('*', char_length({c}) - 1) END",
    "phone": "CASE WHEN {c} IS NULL THEN NULL "
             "WHEN char_length({c}) >= 11 THEN left({c}, 3) || repeat('*', char_length({c}) - 7) || right({c}, 4) "
             "WHEN char_length({c}) >= 5 THEN repeat('*', char_length({c}) - 2) || right({c}, 2) ELSE '****' END",
    "address": "CASE WHEN {c} IS NULL THEN NULL ELSE left({c}, least(6, char_length({c}) / 2)) || '****' END",
    "hidden": "NULL",
}


def output_masks(spec: LayerSpec) -> dict[str, str]:
    """SQL expressions that replace personal columns in output (column name → expression over ``{t}``,
    the table alias, filled in by ``layers.features.property_sql``): what every list and export shows.
    """
    out = {}
    for column in spec.table.columns:
        kind = column.info.get("mask")
        if column.info.get("personal") and kind:
            out[column.name] = SQL_MASKS[kind].format(c=f'{{t}}."{column.name}"')
    return out
