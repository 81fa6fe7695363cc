"""Latency tails under concurrency: p50 and p95 of tiles and feature pages at 8 and 32 clients,
the service against tipg on the same table, side by side in one run.

One throwaway cluster with the demo dataset (``importers.demo.load_demo``), our app and tipg 1.x
each under one uvicorn worker, and ``wrk`` (Debian package ``wrk``) as the load generator. For every
request and concurrency, service and tipg alternate in ``--rounds`` rounds of ``--seconds`` each;
the figures are the medians over the rounds of each round's p50 and p95.

Requests (households, the largest layer, as the issue measured them):

* ``tile z12`` — ``/tiles/households/12/3443/1537.pbf`` (tipg: ``/collections/public.households/tiles/
  WebMercatorQuad/12/3443/1537`` with the same properties);
* ``tile z14`` — ``/tiles/households/14/13775/6149.pbf``;
* ``page 1000`` / ``page 100`` — features in a 5 × 5 km bbox around the city core, ``limit`` 1000 / 100.

Each tile twice: ``warm`` from the service's tile cache, ``cold`` from a second service instance with
the cache off (``GIS_TILE_CACHE_MB=0``: every tile rendered by the database, as on a first visit).

Targets for the service, per request and concurrency: p95 ≤ 2 × its p50, and p95 ≤ tipg's p95; for
tiles also the throughput against tipg's: warm ≥ 10× at 8 clients, cold ≥ 1×. Each is marked MET or
NOT MET. The machine's load average is printed at the start, beside every figure and at the end (on a
shared machine other work widens the tails). Always exits 0.

    .venv/bin/python bench/bench_tails.py                       # ≈ 4 minutes
    .venv/bin/python bench/bench_tails.py --seconds 3 --rounds 1 --concurrency 8
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_features import CENTRE, HALF_SIDE_M, bbox_around  # noqa: E402
from bench.common import (  # noqa: E402
    HOST,
    HttpGetter,
    create_bench_user,
    libpq_url,
    sign_in,
    sqlalchemy_url,
    throwaway_cluster,
    uvicorn_server,
    wait_for_background_checks,
)
from bench.rows import Row, quick  # noqa: E402

LAYER = "households"
TILES = {"tile z12": (12, 3443, 1537), "tile z14": (14, 13775, 6149)}
PAGES = {"page 1000": 1000, "page 100": 100}
WRK = shutil.which("wrk") or "/usr/bin/wrk"
# wrk's own summary has no p95: a done() hook prints the figures we read, in microseconds
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %d %d\\n", latency:percentile(50), latency:percentile(95),
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration))
end
"""


@dataclass
class Run:
    p50_ms: float
    p95_ms: float
    rps: float
    errors: int
    load: float = 0.0  # the machine's 1-minute load average when the run ended (shared machine)


def load_average() -> str:
    """``uptime``'s three load averages, printed beside the figures: the machine is shared."""
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def wrk(url: str, concurrency: int, seconds: float, headers: dict[str, str], script: Path) -> Run:
    threads = min(2, concurrency)
    cmd = [WRK, f"-t{threads}", f"-c{concurrency}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(script)]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    p50, p95, count, errors, duration_us = (int(v) for v in line.split()[1:])
    return Run(p50 / 1000, p95 / 1000, count / (duration_us / 1e6), errors, os.getloadavg()[0])


TARGET_WARM, TARGET_COLD = 10.0, 1.0  # tile throughput against tipg's (issue 21)
WARM_TARGET_CONCURRENCY = 8  # the issue sets the warm tiles' 10× at 8 clients


def throughput_target(name: str, concurrency: int) -> float | None:
    """The service's required req/s against tipg's for a request, None where the issue sets none."""
    if name.endswith("warm"):
        return TARGET_WARM if concurrency == WARM_TARGET_CONCURRENCY else None
    return TARGET_COLD if name.endswith("cold") else None


def requests(api: str, cold_api: str, tipg: str, properties: list[str]) -> dict[str, tuple[str, str]]:
    """name → (service URL, tipg URL)."""
    out = {}
    for name, (z, x, y) in TILES.items():
        theirs = (f"{tipg}/collections/public.{LAYER}/tiles/WebMercatorQuad/{z}/{x}/{y}?"
                  + urlencode({"properties": ",".join(properties), "limit": 1_000_000}))
        out[f"{name} warm"] = (f"{api}/tiles/{LAYER}/{z}/{x}/{y}.pbf", theirs)
        out[f"{name} cold"] = (f"{cold_api}/tiles/{LAYER}/{z}/{x}/{y}.pbf", theirs)
    bbox = ",".join(f"{v:.6f}" for v in bbox_around(*CENTRE, HALF_SIDE_M))
    for name, limit in PAGES.items():
        query = urlencode({"bbox": bbox, "limit": limit})
        out[name] = (f"{api}/api/layers/{LAYER}/features?{query}", f"{tipg}/collections/public.{LAYER}/items?{query}")
    return out


def pool_size(env: dict[str, str]) -> int:
    """The service's request threads (= pooled connections) under ``env``."""
    from gis_server.settings import Settings

    return int(env.get("GIS_DB_POOL_SIZE") or Settings(environment="test").db_pool_size)


def drain(url: str, headers: dict[str, str]) -> None:
    """Wait until the server has worked off what wrk left queued (it stops without waiting for the
    answers): one more request is answered after all of them, so the next run starts on an idle server."""
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=300) as response:
        response.read()


def sessions_opened(url: str) -> int:
    """Sessions ever opened on the database (PostgreSQL ≥ 14), this one included."""
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


def measure(urls: dict[str, tuple[str, str]], headers: dict[str, str], concurrencies: list[int], seconds: float,
            rounds: int, script: Path) -> dict[tuple[str, int], dict[str, Run]]:
    results: dict[tuple[str, int], dict[str, Run]] = {}
    for name, (ours, theirs) in urls.items():
        for c in concurrencies:
            runs: dict[str, list[Run]] = {"service": [], "tipg": []}
            wrk(ours, c, 1, headers, script)  # warm-up (plans, caches, connections)
            drain(ours, headers)
            wrk(theirs, c, 1, {}, script)
            drain(theirs, {})
            for r in range(rounds):
                order = [("service", ours, headers), ("tipg", theirs, {})]
                for label, url, h in (order if r % 2 == 0 else order[::-1]):
                    runs[label].append(wrk(url, c, seconds, h, script))
                    drain(url, h)
            results[(name, c)] = {label: Run(statistics.median(x.p50_ms for x in rs),
                                             statistics.median(x.p95_ms for x in rs),
                                             statistics.median(x.rps for x in rs), sum(x.errors for x in rs),
                                             max(x.load for x in rs))
                                  for label, rs in runs.items()}
            s, t = results[(name, c)]["service"], results[(name, c)]["tipg"]
            print(f"  {name:<14} c={c:<3} service {s.p50_ms:7.1f} / {s.p95_ms:7.1f} ms   "
                  f"tipg {t.p50_ms:7.1f} / {t.p95_ms:7.1f} ms   load {s.load:.1f}", flush=True)
    return results


def report(results: dict[tuple[str, int], dict[str, Run]]) -> list[Row]:
    print()
    print(f"{'request':<14} {'c':>3} | {'service p50':>11} {'p95':>7} {'req/s':>7} | {'tipg p50':>8} {'p95':>7} "
          f"{'req/s':>7} | {'p95≤2×p50':>10} {'p95≤tipg':>9} | {'thru×':>7} {'target':>12} | {'load':>5}")
    rows: list[Row] = []
    for (name, c), r in results.items():
        s, t = r["service"], r["tipg"]
        tail_ok = s.p95_ms <= 2 * s.p50_ms
        tipg_ok = s.p95_ms <= t.p95_ms or not t.rps  # tipg answered nothing in time
        ratio = s.rps / t.rps if t.rps else float("inf")  # tipg answered nothing in time
        target = throughput_target(name, c)
        ratio_ok = target is None or ratio >= target
        label = f"tails {name} c={c}"
        rows += [Row(f"{label}: service p95 / p50", s.p95_ms / s.p50_ms, "×", "≤ 2", tail_ok),
                 Row(f"{label}: service p95", s.p95_ms, "ms", f"≤ tipg's {t.p95_ms:.0f} ms", tipg_ok),
                 Row(f"{label}: throughput / tipg", ratio, "×", f"≥ {target:g}" if target else "",
                     ratio_ok if target else None)]
        if s.errors:
            rows.append(Row(f"{label}: service errors", s.errors, "", "= 0", False))
        verdict = "" if target is None else f"≥{target:g}× {'MET' if ratio_ok else 'NOT MET'}"
        load = max(s.load, t.load)
        print(f"{name:<14} {c:>3} | {s.p50_ms:11.1f} {s.p95_ms:7.1f} {s.rps:7.0f} | {t.p50_ms:8.1f} {t.p95_ms:7.1f} "
              f"{t.rps:7.0f} | {'MET' if tail_ok else 'NOT MET':>10} {'MET' if tipg_ok else 'NOT MET':>9} | "
              f"{ratio:6.2f}× {verdict:>12} | {load:5.1f}" + (f"  (service: {s.errors} errors)" if s.errors else "")
              + (f"  (tipg: {t.errors} errors or timeouts)" if t.errors else ""))
    print("(ms; medians over the rounds of each round's p50/p95 measured by wrk; thru× = service/tipg req/s;\n"
          " warm = from the service's tile cache, cold = a service with the cache off; load = the highest\n"
          " 1-minute load average at the end of the rounds: other work on the machine widens the tails)")
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", default="8,32", help="comma list (default 8,32)")
    ap.add_argument("--seconds", type=float, default=4.0, help="per wrk run (default 4)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per request (default 2)")
    ap.add_argument("--only", default="", help="comma list of request names (default: all)")
    ap.add_argument("--service-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment of the service, e.g. GIS_DB_POOL_SIZE=5 (repeatable)")
    args = ap.parse_args(argv)
    if quick() and not argv:  # make bench: one short round each
        args.seconds, args.rounds = 2.0, 1
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    print(f"start: {load_average()}")

    from sqlalchemy import create_engine

    from gis_server.migrate import upgrade
    from gis_server.routers.tiles import key_fields
    from importers.demo.loader import load_demo
    from layers.catalog import registry

    spec = registry().get(LAYER)
    assert spec is not None
    properties = ["id", *(f.name for f in key_fields(spec))]
    with ExitStack() as stack:
        script_dir = Path(tempfile.mkdtemp(prefix="bench-wrk-", dir="/tmp"))
        stack.callback(shutil.rmtree, script_dir, True)
        script = script_dir / "p95.lua"
        script.write_text(WRK_SCRIPT)

        url = stack.enter_context(throwaway_cluster("gis_bench_tails"))
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url))
        t0 = time.perf_counter()
        counts = load_demo(engine, echo=lambda s: None)
        engine.dispose()
        print(f"data: demo dataset loaded in {time.perf_counter() - t0:.1f} s ({counts.get(LAYER, '?')} households)")
        credentials = create_bench_user(url, "case_worker")
        env = {"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "development",
               **dict(item.split("=", 1) for item in args.service_env)}
        api = stack.enter_context(uvicorn_server("api", "gis_server.app:create_app", env, factory=True,
                                                 ready_path="/api/health"))
        cold = stack.enter_context(uvicorn_server("api-cold", "gis_server.app:create_app",
                                                  {**env, "GIS_TILE_CACHE_MB": "0"}, factory=True,
                                                  ready_path="/api/health"))
        tipg_dir = Path(tempfile.mkdtemp(prefix="bench-tipg-cwd-", dir="/tmp"))  # no stray .env
        stack.callback(tipg_dir.rmdir)
        tipg = stack.enter_context(uvicorn_server(
            "tipg", "tipg.main:app", ready_path=f"/collections/public.{LAYER}", cwd=tipg_dir,
            env={"DATABASE_URL": libpq_url(url) + "?jit=off",  # asyncpg: extra params = server settings
                 "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": f'["public.{LAYER}"]',
                 "TIPG_CATALOG_TTL": "0", "TIPG_MAX_FEATURES_PER_TILE": "1000000",
                 "TIPG_MAX_FEATURES_PER_QUERY": "10000", "TIPG_DEBUG": "false"}))
        wait_for_background_checks(url)
        login = HttpGetter(api.port, "/api/health")
        headers = sign_in(login.post, credentials)
        login.close()
        urls = requests(f"http://{HOST}:{api.port}", f"http://{HOST}:{cold.port}", f"http://{HOST}:{tipg.port}",
                        properties)
        if args.only:
            urls = {k: v for k, v in urls.items() if k in args.only.split(",")}
        # as deployed: `haicheng-gis serve` (and docker-compose's app) runs one uvicorn worker; tipg gets as many
        print(f"servers: one uvicorn worker each, the service's as deployed (haicheng-gis serve), tipg's the same; "
              f"service request threads = pooled connections = {pool_size(env)} ({os.cpu_count()} cores)")
        print(f"timing: wrk, {args.rounds} alternating rounds of {args.seconds:g} s per request and concurrency "
              f"{concurrencies}")
        opened_before = sessions_opened(url)
        results = measure(urls, headers, concurrencies, args.seconds, args.rounds, script)
        # the cause of the old tail: connections opened (new backends) while the load ran
        print(f"database sessions opened during the runs (service and tipg; ±1 for the count's own): "
              f"{sessions_opened(url) - opened_before}")
    rows = report(results)
    print(f"end: {load_average()}")
    print()
    print("RESULT:", "all targets met" if all(r.met is not False for r in rows) else "target(s) NOT met")
    return rows


if __name__ == "__main__":
    try:
        main()
        sys.exit(0)
    except KeyboardInterrupt:
        print("interrupted (cluster and servers stopped)")
        sys.exit(0)
