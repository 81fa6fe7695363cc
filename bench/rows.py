"""The tiny convention every ``bench/bench_*.py`` follows so that ``bench/run_all.py`` can tabulate it.

A bench module has ``main(argv: list[str] | None = None)``. It prints what it likes and returns a list
of :class:`Row` — ``(name, figure, unit, target, met)``:

* ``name``: what was measured, e.g. ``"editors: accepted writes/s"``;
* ``figure``: the number (a float; a ratio is a figure whose unit is ``"×"``);
* ``unit``: ``"ms"``, ``"/s"``, ``"MB"``, ``"×"``, ``""`` (a count) …;
* ``target``: the target as text (``"≤ 2 × p50"``, ``"= 0"``) or ``""`` when the row is for information;
* ``met``: ``True``/``False`` against the target, ``None`` when there is none.

A module whose ``main`` returns anything else (an exit code) still runs; its printed output is kept and
the table says it gave no rows. ``GIS_BENCH_QUICK=1`` (``make bench``'s default) asks for the short
version; ``run_all.py --full`` leaves it unset.
"""

from __future__ import annotations

import os
from typing import NamedTuple


class Row(NamedTuple):
    name: str
    figure: float
    unit: str
    target: str = ""
    met: bool | None = None


def quick() -> bool:
    return os.environ.get("GIS_BENCH_QUICK", "") not in ("", "0")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
