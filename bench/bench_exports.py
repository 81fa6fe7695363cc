"""Exports of 30,000 households in every format, against reading the same rows as the feature list does.

One run, one process, the same rows for every contestant (all households, masked, as a case worker):

* ``list``      — the feature store's list statement for every row (``layers.features.list_features``,
                  limit none): the GeoJSON text the export starts from. The reference (the floor).
* ``<format>``  — what ``GET /api/layers/households/export?format=…`` does without HTTP: that read, the
                  columns (labels, names beside codes, Beijing time) and the file (``layers.exports``).
* ``reveal``    — a full export (``reveal=true``, CSV): the unmasked values and the reveal hook per row.

Prints seconds (median of ``--repeat``), rows/s and the ratio to ``list``. Always exits 0.

    .venv/bin/python bench/bench_exports.py                     # throwaway cluster + synthetic data
    .venv/bin/python bench/bench_exports.py --households 5000 --repeat 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_features import load_households  # noqa: E402
from bench.common import throwaway_cluster  # noqa: E402
from bench.rows import Row  # noqa: E402

FORMATS = ("csv", "xlsx", "geojson", "gpkg", "shp", "kml")


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--repeat", type=int, default=3, help="runs per contestant, the median is shown (default 3)")
    args = ap.parse_args(argv)

    from sqlalchemy import create_engine

    import formats  # noqa: F401  (GDAL locked down as in the service)
    from gis_server.db import SESSION_OPTIONS
    from gis_server.migrate import upgrade
    from layers.catalog import registry
    from layers.exports.build import read_table, render
    from layers.features import ListQuery, list_features
    from layers.privacy import PersonalDataCipher
    from layers.roles import CASE_WORKER

    spec = registry().get("households")
    assert spec is not None
    roles = frozenset({CASE_WORKER})
    with throwaway_cluster() as url:
        upgrade(url)
        load_households(url, args.households, args.seed)
        engine = create_engine(url, connect_args={"options": SESSION_OPTIONS})
        with engine.connect() as conn:
            def listing() -> object:
                return list_features(conn, spec, ListQuery(limit=None))

            def exporting(fmt: str, reveal: bool = False) -> Callable[[], object]:
                cipher = PersonalDataCipher("bench")
                return lambda: render(read_table(conn, spec, ListQuery(limit=None), roles, reveal, cipher), fmt)

            reference, body = timed(listing, args.repeat)
            rows = body.count(b'"type":"Feature"')  # type: ignore[attr-defined]
            print(f"rows: {rows:,} households; median of {args.repeat} run(s) each\n")
            print(f"{'contestant':<10} {'seconds':>8} {'rows/s':>9} {'× list':>7} {'file':>9}")
            print(f"{'list':<10} {reference:8.2f} {rows / reference:9,.0f} {1:7.1f} {len(body) / 1e6:7.1f} MB")
            figures: list[Row] = []
            for name, fn in [*((f, exporting(f)) for f in FORMATS), ("reveal", exporting("csv", reveal=True))]:
                seconds, content = timed(fn, args.repeat)
                print(f"{name:<10} {seconds:8.2f} {rows / seconds:9,.0f} {seconds / reference:7.1f} "
                      f"{len(content) / 1e6:7.1f} MB")  # type: ignore[arg-type]
                figures += [Row(f"export {rows:,} households: {name}", rows / seconds, "/s"),
                            Row(f"export {name} / the list's time", seconds / reference, "×")]
        engine.dispose()
    return figures


if __name__ == "__main__":
    main()
