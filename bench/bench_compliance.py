"""Continuous compliance on the demo data: the re-check after one changed road segment and after a
2,000-polygon 基本农田 import, each against a full re-check of every record, in the same run.

    .venv/bin/python bench/bench_compliance.py [--rounds 5] [--polygons 2000]

Starts a throwaway cluster, loads the demo dataset, records every record's check once (the state the
background worker keeps), then times, each in a transaction that is rolled back afterwards:
  * full re-check: every cemetery, candidate site and grave against every rule (the reference);
  * one road segment upgraded to a provincial road, then the queue drained (what the worker does);
  * 2,000 new 基本农田 polygons (~150 m squares spread over the villages) inserted, then the queue drained.
Targets (issue 20): one road segment < 1 s; the 2,000-polygon import < 60 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import sqlalchemy_url, throwaway_cluster  # noqa: E402
from bench.rows import Row, quick  # noqa: E402
from layers.base import STORAGE_SRID  # noqa: E402

TARGET_ROAD_S = 1.0
TARGET_IMPORT_S = 60.0


def timed(engine, work) -> tuple[float, object]:  # noqa: ANN001
    """Run ``work(conn)`` in a transaction that is rolled back; (seconds, its result)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text("SET LOCAL jit = off"))
        t0 = time.perf_counter()
        result = work(conn)
        seconds = time.perf_counter() - t0
        transaction.rollback()
    return seconds, result


def road_change(road_id: int):  # noqa: ANN201
    def work(conn):  # noqa: ANN001, ANN202
        from sqlalchemy import text

        from layers.compliance.queue import drain

        conn.execute(text("UPDATE roads SET road_class = 'provincial' WHERE id = :id"), {"id": road_id})
        return drain(conn)
    return work


def farmland_import(polygons: list[bytes]):  # noqa: ANN201
    def work(conn):  # noqa: ANN001, ANN202
        from sqlalchemy import text

        from layers.compliance.queue import drain

        conn.execute(text("INSERT INTO basic_farmland (name, geom) SELECT '基本农田（新划）' || i, "
                          f"ST_Multi(ST_GeomFromWKB(w, {STORAGE_SRID})) "
                          "FROM unnest(CAST(:w AS bytea[])) WITH ORDINALITY AS x(w, i)"),
                     {"w": polygons})
        return drain(conn)
    return work


def full(conn):  # noqa: ANN001, ANN201
    from layers.compliance.siting import full_recheck
    from layers.siting.rules import get_rule_set

    return full_recheck(conn, get_rule_set(conn))


def sample_polygons(conn, n: int) -> list[bytes]:  # noqa: ANN001
    """``n`` ~150 m squares at random points of the villages (seeded: the same every run)."""
    import shapely
    from shapely.geometry import box
    from sqlalchemy import text

    rows = conn.execute(text("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM villages "
                             "WHERE retired_at IS NULL ORDER BY code")).all()
    rng = random.Random(20)
    out = []
    for i in range(n):
        x0, y0, x1, y1 = rows[i % len(rows)]
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        out.append(shapely.to_wkb(box(lon, lat, lon + 0.0018, lat + 0.00135)))
    return out


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--polygons", type=int, default=2000)
    args = ap.parse_args(argv)
    if quick() and not argv:  # make bench: fewer rounds
        args.rounds = 2

    from sqlalchemy import create_engine, text

    from gis_server.migrate import upgrade
    from importers.demo import load_demo
    from layers.compliance.siting import all_records, baseline
    from layers.siting.rules import get_rule_set

    with throwaway_cluster() as url:
        upgrade(url)
        engine = create_engine(sqlalchemy_url(url), connect_args={"options": "-c jit=off"})
        t0 = time.perf_counter()
        load_demo(engine, echo=lambda line: None)
        print(f"data: demo dataset loaded in {time.perf_counter() - t0:.1f} s")
        with engine.begin() as conn:
            counts = conn.execute(text(
                "SELECT (SELECT count(*) FROM cemeteries WHERE retired_at IS NULL), "
                "(SELECT count(*) FROM candidate_sites), "
                "(SELECT count(*) FROM scattered_graves WHERE retired_at IS NULL), "
                "(SELECT count(*) FROM roads WHERE retired_at IS NULL)")).one()
            print(f"records: {counts[0]} cemeteries, {counts[1]} candidate sites, {counts[2]} graves; "
                  f"{counts[3]} road segments")
            conn.execute(text("UPDATE compliance_changes SET processed_at = now() WHERE processed_at IS NULL"))
            t0 = time.perf_counter()
            baseline(conn, get_rule_set(conn), all_records(conn))
            print(f"first check of every record (stored as the 'before'): {time.perf_counter() - t0:.2f} s")
            # a county or township road segment near the most records: the busiest case of one segment
            road_id = conn.execute(text(
                "SELECT r.id FROM roads r WHERE r.retired_at IS NULL AND r.road_class IN ('county', 'township') "
                "ORDER BY (SELECT count(*) FROM scattered_graves g WHERE ST_DWithin(g.geom, r.geom, 600 / 83000.0)) "
                "DESC, r.id LIMIT 1")).scalar_one()
            polygons = sample_polygons(conn, args.polygons)

        timed(engine, full)  # warm-up
        full_s, road_s = [], []
        for _ in range(args.rounds):  # alternate, so both see the same machine load
            seconds, _ = timed(engine, full)
            full_s.append(seconds)
            seconds, road_summary = timed(engine, road_change(road_id))
            road_s.append(seconds)
        import_s, import_summary = timed(engine, farmland_import(polygons))
        full_med, road_med = statistics.median(full_s), statistics.median(road_s)

        print(f"\nfull re-check of every record against every rule: median {full_med:.3f} s ({args.rounds} rounds)")
        siting = road_summary["siting"]["constraints"]  # type: ignore[index]
        print(f"one road segment (id {road_id}) upgraded to provincial, queue drained: median {road_med:.3f} s; "
              f"{siting['checked']} records re-checked, {siting['new_violation']} new violations, "
              f"{siting['resolved']} resolved")
        print(f"  full / one segment = {full_med / road_med:.1f}×   target < {TARGET_ROAD_S:.0f} s   "
              f"{'MET' if road_med < TARGET_ROAD_S else 'NOT MET'}")
        siting = import_summary["siting"]["constraints"]  # type: ignore[index]
        print(f"{args.polygons} new 基本农田 polygons, queue drained: {import_s:.2f} s; {siting['checked']} records "
              f"re-checked, {siting['new_violation']} new violations")
        print(f"  import / full = {import_s / full_med:.2f}×   target < {TARGET_IMPORT_S:.0f} s   "
              f"{'MET' if import_s < TARGET_IMPORT_S else 'NOT MET'}")
        engine.dispose()
    return [Row("compliance: one road segment changed, re-checked", road_med, "s", f"< {TARGET_ROAD_S:g}",
                road_med < TARGET_ROAD_S),
            Row(f"compliance: {args.polygons} 基本农田 polygons imported, re-checked", import_s, "s",
                f"< {TARGET_IMPORT_S:g}", import_s < TARGET_IMPORT_S),
            Row("compliance: full re-check of every record", full_med, "s")]


if __name__ == "__main__":
    main()
