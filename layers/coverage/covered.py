"""``fac, covered(id)``: the facilities of a selection and the households its method covers."""

from __future__ import annotations

from layers.coverage import euclidean, network
from layers.coverage.selection import Selection, facilities_cte


def covered_ctes(sel: Selection) -> str:
    """``fac, covered(id)`` for the selection's method (a WITH list without the WITH keyword)."""
    module = euclidean if sel.method == "euclidean" else network
    return f"{facilities_cte(sel)}, covered AS MATERIALIZED ({module.covered_sql(sel)})"
