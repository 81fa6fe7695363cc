"""Coverage of households by facilities: straight-line counts and the network service-area job.

Targets (issue 9): euclidean coverage of the demo data (30,000 households, 230 care facilities,
33 shelters) < 1 s; of 10× the households with 5× the facilities < 5 s. The network service
areas for all facilities are a background job: its time is printed, with no target.

Steps: a throwaway cluster, migrations, the demo dataset; time the coverage statements (the exact
functions the API calls, ``layers.coverage.analysis.coverage_rows``) for three questions, by village
and by township; the refresh job (graph + straight-line + walking + driving areas); network
coverage. Then add 9 jittered copies of every household (±400 m) and 4 of every facility (±3 km),
bulk (triggers off for the copies), and time it all again. Rows for ``run_all.py`` with the verdicts.

    .venv/bin/python bench/bench_coverage.py [--runs 5] [--households-factor 10] [--facilities-factor 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.common import throwaway_cluster  # noqa: E402
from bench.rows import Row, quick  # noqa: E402

QUESTIONS = [  # (facility types, categories, label)
    ("happiness_home,day_care", "elderly_alone", "独居/空巢老人 ← 幸福院+日间照料站 1 km"),
    ("emergency,fixed,central", None, "全部困难群众户 ← 避难场所"),
    ("happiness_home", None, "全部困难群众户 ← 幸福院"),
]
HOUSEHOLD_COLUMNS = "head_name, phone, address, categories, members, has_child_under_14, village_code, source"


def timed(fn, runs: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), result


def measure(engine, runs: int, label: str, target: float) -> dict[str, float]:
    from layers.coverage.analysis import coverage_rows
    from layers.coverage.refresh import refresh_job
    from layers.coverage.selection import Selection

    with engine.connect() as conn:
        counts = conn.execute(text("SELECT (SELECT count(*) FROM households), (SELECT count(*) FROM care_facilities), "
                                   "(SELECT count(*) FROM shelters), (SELECT count(*) FROM roads)")).one()
    print(f"\n== {label}: {counts[0]:,} households, {counts[1]:,} care facilities, {counts[2]:,} shelters, "
          f"{counts[3]:,} road segments")
    out: dict[str, float] = {}
    with engine.connect() as conn:
        worst = 0.0
        for types, cats, title in QUESTIONS:
            sel = Selection.parse(types, cats)
            for by in ("village", "township"):
                seconds, rows = timed(lambda sel=sel, by=by: coverage_rows(conn, sel, by, False), runs)
                covered = sum(r["covered"] for r in rows)
                households = sum(r["households"] for r in rows)
                worst = max(worst, seconds)
                print(f"  euclidean  {title:<34} by {by:<8} {seconds * 1000:8.1f} ms  "
                      f"({covered:,}/{households:,} covered)")
        verdict = "MET" if worst < target else "NOT MET"
        print(f"  slowest euclidean question: {worst * 1000:.1f} ms — target < {target:.0f} s: {verdict} "
              f"(ratio {worst / target:.2f} of the budget)")
        out["euclidean_worst"] = worst
    t0 = time.perf_counter()
    detail = refresh_job(engine, force=True)
    out["refresh"] = time.perf_counter() - t0
    print(f"  network job (graph {detail.get('edges')} edges {detail.get('edges_seconds')} s; shelters "
          f"{detail.get('shelters_seconds')} s; care {detail.get('care_facilities_seconds')} s): "
          f"{out['refresh']:.2f} s")
    with engine.connect() as conn:
        for types, cats, title in QUESTIONS:
            sel = Selection.parse(types, cats, "network", "walking")
            seconds, rows = timed(lambda sel=sel: coverage_rows(conn, sel, "township", False), max(1, runs // 2))
            print(f"  network    {title:<34} walking  {seconds * 1000:8.1f} ms  "
                  f"({sum(r['covered'] for r in rows):,} covered)")
            out[f"network {title}"] = seconds
    return out


def scale_up(engine, households_factor: int, facilities_factor: int) -> None:
    """Jittered copies; history/audit triggers off for them (session_replication_role = replica)."""
    from layers.catalog import registry
    from layers.listed import rebuild

    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        copied = HOUSEHOLD_COLUMNS.replace("source", "'bench'")
        conn.execute(text(
            f"INSERT INTO households ({HOUSEHOLD_COLUMNS}, geom) SELECT {copied}, "
            "ST_Translate(geom, (random() - 0.5) * 0.0096, (random() - 0.5) * 0.0072) "
            "FROM households, generate_series(2, :n)"), {"n": households_factor})
        for table, columns in (("care_facilities", "name, facility_type, beds, residents, service_radius_m, "
                                                   "operator, address, village_code, township_code"),
                               ("shelters", "name, shelter_class, shelter_type, level, usable_area_m2, capacity, "
                                            "service_radius_m, address, village_code")):
            # copies numbered: a live facility's name is unique (a later migration's constraint)
            copied_columns = columns.replace("name,", "name || '（副本' || g || '）',", 1)
            conn.execute(text(
                f"INSERT INTO {table} ({columns}, source, geom) SELECT {copied_columns}, 'bench', "
                "ST_Translate(geom, (random() - 0.5) * 0.072, (random() - 0.5) * 0.054) "
                f"FROM {table}, generate_series(2, :n) AS g"), {"n": facilities_factor})
        # the listed texts of the copies, as `haicheng-gis listed rebuild` writes them after such a load
        rebuild(conn, [spec for spec in registry() if spec.name in ("households", "care_facilities", "shelters")])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("households", "care_facilities", "shelters", "listed_features"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--households-factor", type=int, default=10)
    parser.add_argument("--facilities-factor", type=int, default=5)
    args = parser.parse_args(argv)
    if quick() and not argv:  # make bench: fewer runs
        args.runs = 3
    from gis_server.migrate import upgrade
    from importers.demo import load_demo

    with throwaway_cluster("gis_bench_coverage") as url:
        upgrade(url)
        engine = create_engine(url, connect_args={"options": "-c jit=off"})
        t0 = time.perf_counter()
        load_demo(engine, echo=lambda line: None)
        print(f"demo dataset loaded in {time.perf_counter() - t0:.1f} s")
        demo = measure(engine, args.runs, "demo", 1.0)
        t0 = time.perf_counter()
        scale_up(engine, args.households_factor, args.facilities_factor)
        print(f"\nscaled up in {time.perf_counter() - t0:.1f} s")
        big = measure(engine, args.runs, f"{args.households_factor}× households, {args.facilities_factor}× facilities",
                      5.0)
        print("\n== ratios (scaled / demo)")
        for key in demo:
            print(f"  {key:<50} {big[key] / demo[key]:6.2f}×")
        engine.dispose()
    scaled = f"{args.households_factor}× households"
    rows = [Row("coverage: slowest euclidean question, demo", demo["euclidean_worst"], "s", "< 1",
                demo["euclidean_worst"] < 1.0),
            Row(f"coverage: slowest euclidean question, {scaled}", big["euclidean_worst"], "s", "< 5",
                big["euclidean_worst"] < 5.0),
            Row("coverage: network job (service areas), demo", demo["refresh"], "s"),
            Row(f"coverage: network job (service areas), {scaled}", big["refresh"], "s")]
    rows += [Row(f"coverage: {key} (walking), {label}", values[key], "s")
             for label, values in (("demo", demo), (scaled, big)) for key in values if key.startswith("network ")]
    return rows


if __name__ == "__main__":
    main()
