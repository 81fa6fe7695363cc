"""Scale curves: the cost of five requests at 1×, 10× (and, with ``--scales 1,10,100``, 100×) the
county's data, as a table. The cost must grow with the answer's size, not with the table's.

One throwaway cluster with the demo dataset (1×: 30,000 households, the demo's place names and
siting layers); for scale k it adds (k−1) × the demo's households (synthetic, in the same settlements,
``bench_features.load_households``, triggers on, as the API writes them), (k−1) jittered copies of every
place name and of the rows of every layer a siting rule reads (a table whose copies break one of its
constraints is left at 1× and said so). Our app under one uvicorn worker with its tile cache off (every
tile rendered), a case worker signed in, a keep-alive HTTP client, medians of ``--calls`` calls:

* ``page``     — households, 5 × 5 km bbox at the city core, limit 1000 (answer: 1000 features);
* ``tile``     — ``/tiles/households/14/13775/6149.pbf`` (answer: the features in the tile, which grow
  with the data: the cost per feature is what must stay flat);
* ``siting``   — ``POST /api/siting/check`` at 5 sites (answer: one report each);
* ``search``   — ``/api/place-names/search?q=王家`` (answer: one page of 20);
* ``coverage`` — ``/api/coverage?facility_type=happiness_home&by=township`` (answer: the county's
  households it counts, summed over its township rows: here the county itself grows k-fold, so the
  answer does. Other counties' rows in the table — the province of ``bench_province.py`` — are not read:
  the households' GiST index bounds the scan to the county, ``tests/layers/test_coverage_scale.py``).

Verdict per request: time(k) / time(1) ≤ 2 × max(1, answer(k) / answer(1)) → MET. Always exits 0.

    .venv/bin/python bench/bench_scale.py                   # 1× and 10×, ≈ 5 minutes
    .venv/bin/python bench/bench_scale.py --scales 1,10,100  # 100× adds 2.97 million households: long
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_features import CENTRE, HALF_SIDE_M, bbox_around, load_households  # noqa: E402
from bench.common import (  # noqa: E402
    HttpGetter,
    create_bench_user,
    libpq_url,
    sign_in,
    sqlalchemy_url,
    throwaway_cluster,
    uvicorn_server,
)
from bench.rows import Row, quick  # noqa: E402

TILE = (14, 13775, 6149)
SITES = [(122.62, 40.93), (122.75, 40.80), (122.55, 40.70), (122.90, 40.95), (122.68, 41.02)]
JITTER_DEG = 0.02  # copies land up to ~2 km away: more features near every point, same county


def copy_rows(url: str, tables: list[str], copies: int, seed: int) -> dict[str, str]:
    """``copies`` jittered copies of every row of ``tables`` (triggers off: only the reading statements
    are timed); a table whose copies break a constraint is rolled back and reported."""
    import psycopg

    out = {}
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for table in tables:
            columns = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = 'public' AND is_identity = 'NO' AND column_default IS NULL "
                "AND is_generated = 'NEVER' ORDER BY ordinal_position",
                [table]).fetchall()]
            # text columns of a unique index (codes, natural keys) get the copy's number appended
            # (cut to leave room for it in a varchar(n): atttypmod is n + 4, -1 for text)
            unique: dict[str, int] = dict(conn.execute(
                "SELECT a.attname, a.atttypmod FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisunique "
                "AND NOT i.indisprimary AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)", [table]).fetchall())
            values = [f"ST_Translate(geom, (random() - 0.5) * {2 * JITTER_DEG}, (random() - 0.5) * {2 * JITTER_DEG})"
                      if c == "geom" else f'"{c}"' if c not in unique else f"\"{c}\" || '#' || g" if unique[c] < 0
                      else f"left(\"{c}\", {unique[c] - 4 - 5}) || '#' || g" for c in columns]
            names = ", ".join(f'"{c}"' for c in columns)
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL session_replication_role = replica")
                    conn.execute(f"SELECT setseed({(seed % 1000) / 1000})")
                    conn.execute(f'INSERT INTO "{table}" ({names}) SELECT {", ".join(values)} '
                                 f'FROM "{table}", generate_series(1, {copies}) AS g WHERE retired_at IS NULL')
                out[table] = "scaled"
            except psycopg.Error as error:
                out[table] = f"left at 1× ({type(error).__name__}: {str(error).splitlines()[0][:80]})"
            conn.execute(f'ANALYZE "{table}"')
    return out


def timed(call: Callable[[], tuple[int, bytes]], calls: int) -> float:
    for _ in range(3):
        call()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        status, body = call()
        samples.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
    return statistics.median(samples) * 1000


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,10", help="comma list, ascending (default 1,10)")
    ap.add_argument("--calls", type=int, default=20, help="timed calls per request and scale (default 20)")
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args(argv)
    if quick() and not argv:
        args.calls = 5
    scales = [int(s) for s in args.scales.split(",")]

    import mapbox_vector_tile
    from sqlalchemy import create_engine

    from gis_server.migrate import upgrade
    from importers.demo.loader import load_demo
    from layers.siting.rules import get_rule_set

    results: dict[str, dict[int, tuple[float, int]]] = {}
    with ExitStack() as stack:
        url = stack.enter_context(throwaway_cluster("gis_bench_scale"))
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url))
        load_demo(engine, echo=lambda s: None)
        with engine.connect() as conn:
            siting_tables = sorted({rule.kind.layer for rule in get_rule_set(conn).rules})
        engine.dispose()
        households = 30_000
        credentials = create_bench_user(url, "case_worker")
        api = stack.enter_context(uvicorn_server(
            "api", "gis_server.app:create_app", {"GIS_DATABASE_URL": sqlalchemy_url(url),
                                                 "GIS_ENVIRONMENT": "development", "GIS_TILE_CACHE_MB": "0"},
            factory=True, ready_path="/api/health"))
        http = HttpGetter(api.port, "/api/health", timeout=300)
        stack.callback(http.close)
        headers = sign_in(http.post, credentials)

        def get(path: str) -> Callable[[], tuple[int, bytes]]:
            def call() -> tuple[int, bytes]:
                http.conn.request("GET", path, headers=headers)
                response = http.conn.getresponse()
                return response.status, response.read()
            return call

        def check() -> tuple[int, bytes]:
            bodies = []
            for lon, lat in SITES:
                body = json.dumps({"geometry": {"type": "Point", "coordinates": [lon, lat]}}).encode()
                status, answer = http.post("/api/siting/check", body, {**headers, "Content-Type": "application/json"})
                if status != 200:
                    return status, answer
                bodies.append(answer)
            return 200, b"".join(bodies)

        bbox = ",".join(f"{v:.6f}" for v in bbox_around(*CENTRE, HALF_SIDE_M))
        requests: dict[str, tuple[Callable[[], tuple[int, bytes]], Callable[[bytes], int]]] = {
            "page": (get("/api/layers/households/features?" + urlencode({"bbox": bbox, "limit": 1000})),
                     lambda b: json.loads(b)["numberReturned"]),
            "tile": (get("/tiles/households/{}/{}/{}.pbf".format(*TILE)),
                     lambda b: len(mapbox_vector_tile.decode(b)["households"]["features"]) if b else 0),
            "siting": (check, lambda b: len(SITES)),
            "search": (get("/api/place-names/search?" + urlencode({"q": "王家"})),
                       lambda b: len(json.loads(b).get("features", json.loads(b).get("items", [])))),
            # its answer is the county's households counted (the rows sum them): that is what grows here
            "coverage": (get("/api/coverage?" + urlencode({"facility_type": "happiness_home", "by": "township"})),
                         lambda b: sum(r["households"] or 0 for r in json.loads(b)["rows"])),
        }
        loaded = 1
        for scale in scales:
            if scale > loaded:
                t0 = time.perf_counter()
                load_households(url, households * (scale - loaded), args.seed + scale)
                notes = copy_rows(url, ["place_names", *siting_tables], scale - loaded, args.seed + scale)
                loaded = scale
                http.conn.close()  # the server closed the idle keep-alive connection meanwhile
                print(f"scale {scale}×: data added in {time.perf_counter() - t0:.0f} s; "
                      + ", ".join(f"{t} {n}" for t, n in notes.items() if n != "scaled"))
            for name, (call, answer_size) in requests.items():
                ms = timed(call, args.calls)
                results.setdefault(name, {})[scale] = (ms, answer_size(call()[1]))
                print(f"  {scale:>4}× {name:<9} {ms:9.1f} ms   answer {results[name][scale][1]:,}", flush=True)

    print(f"\nload average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'request':<9} " + " ".join(f"{f'{s}× ms':>10} {'answer':>8}" for s in scales)
          + "   time ratio / answer ratio (last vs 1×)   verdict")
    rows: list[Row] = []
    for name, by_scale in results.items():
        rows += [Row(f"scale {name} at {s}×", by_scale[s][0], "ms") for s in scales]
        cells = " ".join(f"{by_scale[s][0]:10.1f} {by_scale[s][1]:8,d}" for s in scales)
        (t1, a1), (tk, ak) = by_scale[scales[0]], by_scale[scales[-1]]
        time_ratio, answer_ratio = tk / t1, (ak / a1 if a1 else 1.0)
        ok = time_ratio <= 2 * max(1.0, answer_ratio)
        print(f"{name:<9} {cells}   {time_ratio:6.2f}× / {answer_ratio:6.2f}×{'':>22}{'MET' if ok else 'NOT MET'}")
        rows.append(Row(f"scale {name}: time {scales[-1]}× / 1× (answer {answer_ratio:.2f}×)", time_ratio, "×",
                        f"≤ 2 × max(1, {answer_ratio:.2f})", ok))
    print(f"(medians of {args.calls} calls, one keep-alive client; data at scale k = k × the demo's households, "
          "place names and siting layers)")
    return rows


if __name__ == "__main__":
    try:
        main()
        sys.exit(0)
    except KeyboardInterrupt:
        print("interrupted (cluster and server stopped)")
        sys.exit(0)
