"""Cemetery siting on the demo data: the site check against its SQL floor, suitable land per
township, and the scattered-graves batch.

    .venv/bin/python bench/bench_siting.py [--sites 60] [--rounds 4]

Starts a throwaway cluster, loads the demo dataset, serves the app with uvicorn, and prints
medians and ratios. Targets (issue 6): check endpoint median ≤ 3 × the bare-SQL floor (the same
nearest-feature statement run directly); suitable land < 0.3 s for every township; the graves
batch "in seconds".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    HttpGetter,
    create_bench_user,
    sign_in,
    sqlalchemy_url,
    throwaway_cluster,
    uvicorn_server,
)
from bench.rows import Row, quick  # noqa: E402

TARGET_CHECK_RATIO = 3.0
TARGET_SUITABLE_S = 0.3


def sample_sites(conn, n: int) -> list[dict]:
    """Deterministic sites: points on the surface of villages, every third a ~1 ha square."""
    from sqlalchemy import text

    rows = conn.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM villages "
        "ORDER BY code LIMIT :n) x"), {"n": n}).all()
    sites = []
    for i, (lon, lat) in enumerate(rows):
        if i % 3 == 2:
            d = 0.0006  # ≈ 50 m × 67 m
            ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
            sites.append({"type": "Polygon", "coordinates": [ring]})
        else:
            sites.append({"type": "Point", "coordinates": [lon, lat]})
    return sites


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p90_ms(samples: list[float]) -> float:
    return sorted(samples)[int(0.9 * (len(samples) - 1))] * 1000


def time_floor(engine, sites: list[dict], rounds: int) -> list[float]:
    """The check's own statement, run directly on one connection (no HTTP, no Python report)."""
    import shapely
    from shapely.geometry import shape
    from sqlalchemy import text

    from layers.siting.check import check_sql
    from layers.siting.rules import get_rule_set

    samples = []
    with engine.connect() as conn:
        rule_set = get_rule_set(conn)
        sql, params = check_sql(rule_set.rules)
        statement = text(sql)
        wkbs = [shapely.to_wkb(shape(s)) for s in sites]
        for _ in range(rounds):
            for wkb in wkbs:
                t0 = time.perf_counter()
                conn.execute(statement, {**params, "wkb": wkb}).all()
                samples.append(time.perf_counter() - t0)
        conn.rollback()
    return samples


def time_api(getter: HttpGetter, headers: dict, sites: list[dict], rounds: int) -> list[float]:
    samples = []
    hdrs = {**headers, "Content-Type": "application/json"}
    for _ in range(rounds):
        for site in sites:
            body = json.dumps({"geometry": site}).encode()
            t0 = time.perf_counter()
            status, answer = getter.post("/api/siting/check", body, hdrs)
            samples.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"check failed: {status} {answer[:300]!r}")
    return samples


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sites", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args(argv)
    if quick() and not argv:  # make bench: fewer rounds
        args.rounds = 2

    from sqlalchemy import create_engine, text

    from gis_server.migrate import upgrade
    from importers.demo import load_demo

    with throwaway_cluster() as url:
        upgrade(url)
        engine = create_engine(sqlalchemy_url(url), connect_args={"options": "-c jit=off"})
        t0 = time.perf_counter()
        load_demo(engine, echo=lambda line: None)
        print(f"data: demo dataset loaded in {time.perf_counter() - t0:.1f} s")
        credentials = create_bench_user(url, "funeral_planner")
        with engine.connect() as conn:
            sites = sample_sites(conn, args.sites)
            townships = conn.execute(text("SELECT code, name FROM townships ORDER BY code")).all()
        env = {"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "test"}
        with uvicorn_server("api", "gis_server.app:create_app", env, factory=True, ready_path="/api/health") as api:
            getter = HttpGetter(api.port, "/api/health")
            headers = sign_in(getter.post, credentials)
            time_api(getter, headers, sites[:5], 1)  # warm-up
            time_floor(engine, sites[:5], 1)
            api_samples, floor_samples = [], []
            for _ in range(args.rounds):  # alternate, so both see the same machine load
                floor_samples += time_floor(engine, sites, 1)
                api_samples += time_api(getter, headers, sites, 1)
            floor, endpoint = median_ms(floor_samples), median_ms(api_samples)
            ratio = endpoint / floor
            print(f"\nsite check: {len(sites)} sites × {args.rounds} rounds (points and ~1 ha polygons)")
            print(f"  bare SQL floor  median {floor:6.2f} ms   p90 {p90_ms(floor_samples):6.2f} ms")
            print(f"  POST /check     median {endpoint:6.2f} ms   p90 {p90_ms(api_samples):6.2f} ms")
            print(f"  endpoint / floor = {ratio:.2f}×   target ≤ {TARGET_CHECK_RATIO}×   "
                  f"{'MET' if ratio <= TARGET_CHECK_RATIO else 'NOT MET'}")

            print("\nsuitable land per township (GET /api/siting/suitable?township=…, median of 3):")
            worst = 0.0
            for code, name in townships:
                path = f"/api/siting/suitable?township={code}"
                t = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    HttpGetter(api.port, path, headers).get()
                    t.append(time.perf_counter() - t0)
                worst = max(worst, statistics.median(t))
                print(f"  {code} {name:<8} {statistics.median(t) * 1000:7.1f} ms")
            print(f"  slowest township {worst * 1000:.1f} ms   target < {TARGET_SUITABLE_S * 1000:.0f} ms   "
                  f"{'MET' if worst < TARGET_SUITABLE_S else 'NOT MET'}")

            t0 = time.perf_counter()
            body = HttpGetter(api.port, "/api/siting/graves", headers).get()
            graves_s = time.perf_counter() - t0
            summary = json.loads(body)["summary"]
            print(f"\ngraves batch: GET /api/siting/graves classified all graves in {graves_s:.2f} s: {summary}")
            getter.close()
        engine.dispose()
    return [Row("siting: site check endpoint / bare SQL", ratio, "×", f"≤ {TARGET_CHECK_RATIO}",
                ratio <= TARGET_CHECK_RATIO),
            Row("siting: suitable land, slowest township", worst * 1000, "ms", f"< {TARGET_SUITABLE_S * 1000:.0f}",
                worst < TARGET_SUITABLE_S),
            Row("siting: all graves classified", graves_s, "s")]


if __name__ == "__main__":
    main()
