"""GET /api/layers/households/features?bbox=<5×5 km>&limit=1000 against the bare SQL floor and tipg.

One run, one process, the same table, bbox and limit for every contestant:

* ``sql``   — the exact statement the API runs for that request (captured from the app itself: the
              audit record of the read and the masked listed texts included), replayed on one
              psycopg connection: the floor — no HTTP, no Python per feature.
* ``api``   — our FastAPI app under uvicorn (one worker), over a keep-alive HTTP connection, signed in
              with a Bearer token (a ``case_worker`` account the bench creates) when the app has sign-in.
* ``tipg``  — tipg (OGC API Features) under uvicorn serving the same table.

Targets (from the issue): api ≥ 0.8 × sql throughput and ≥ 5 × tipg's. Always exits 0.

    .venv/bin/python bench/bench_features.py                 # throwaway cluster + synthetic data
    .venv/bin/python bench/bench_features.py --database-url postgresql://postgres@127.0.0.1:54329/haicheng_gis
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    HttpGetter,
    Stats,
    create_bench_user,
    libpq_url,
    run_rounds,
    sign_in,
    sqlalchemy_url,
    throwaway_cluster,
    uvicorn_server,
)
from bench.rows import Row  # noqa: E402
from gis_server.db import SESSION_OPTIONS  # noqa: E402
from layers.base import STORAGE_SRID  # noqa: E402
from layers.features import LISTED_TABLE, Utf8Bytes, collection_bytes  # noqa: E402

LAYER = "households"
CENTRE = (122.69, 40.88)  # Haicheng city core
HALF_SIDE_M = 2500.0  # 5 × 5 km
TARGET_SQL = 0.8
TARGET_TIPG = 5.0

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "秀英华玉兰桂芳淑珍凤荣梅丽静敏艳明国建军志强永福德春海林峰文辉成贵宝山玉田振东"
TOWNS = ["海州", "兴海", "响堂", "东四", "八里", "岔沟", "腾鳌", "感王", "西柳", "中小", "牛庄", "耿庄",
         "温香", "望台", "析木", "马风", "孤山", "接文", "英落", "王石", "套河", "毛祁", "南台", "高坨"]
CATEGORIES = ["dibao", "tekun_dispersed", "tekun_central", "orphan", "disabled", "elderly_alone",
              "left_behind_child", "child_in_difficulty", "temporary_relief"]
CATEGORY_WEIGHTS = [40, 8, 2, 1, 12, 20, 8, 4, 5]


def bbox_around(lon: float, lat: float, half_side_m: float) -> tuple[float, float, float, float]:
    dlat = half_side_m / 110_990.0
    dlon = half_side_m / (111_320.0 * math.cos(math.radians(lat)))
    return (round(lon - dlon, 6), round(lat - dlat, 6), round(lon + dlon, 6), round(lat + dlat, 6))


# --- synthetic data ----------------------------------------------------------------------------

def synthetic_households(n: int, seed: int) -> dict[str, list]:
    """``n`` households in settlements: a dense city core, township seats and villages (deterministic)."""
    rng = random.Random(seed)
    m_lon = 111_320.0 * math.cos(math.radians(CENTRE[1]))
    m_lat = 110_990.0
    towns = [(CENTRE[0] + rng.uniform(-0.40, 0.40), CENTRE[1] + rng.uniform(-0.30, 0.30)) for _ in TOWNS]
    villages = []
    for t, (tx, ty) in enumerate(towns):
        for v in range(12):
            villages.append((t, v + 1, tx + rng.gauss(0, 6000) / m_lon, ty + rng.gauss(0, 6000) / m_lat))
    cols: dict[str, list] = {k: [] for k in ("head_name", "phone", "address", "categories", "members",
                                             "has_child", "village_code", "lon", "lat")}
    n_core, n_towns = int(n * 0.4), int(n * 0.4)
    for i in range(n):
        if i < n_core:  # city core: Gaussian, sigma 2 km
            t, v = 0, 1 + i % 12
            x, y = CENTRE[0] + rng.gauss(0, 2000) / m_lon, CENTRE[1] + rng.gauss(0, 2000) / m_lat
        elif i < n_core + n_towns:  # township seats: sigma 600 m
            t = rng.randrange(len(towns))
            v = 1 + rng.randrange(12)
            x, y = towns[t][0] + rng.gauss(0, 600) / m_lon, towns[t][1] + rng.gauss(0, 600) / m_lat
        else:  # villages: sigma 200 m
            t, v, vx, vy = villages[rng.randrange(len(villages))]
            x, y = vx + rng.gauss(0, 200) / m_lon, vy + rng.gauss(0, 200) / m_lat
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        cats = set(rng.choices(CATEGORIES, CATEGORY_WEIGHTS, k=rng.choice((1, 1, 1, 2, 2, 3))))
        cols["head_name"].append(name)
        cols["phone"].append(f"13{rng.randrange(10**9):09d}" if rng.random() < 0.9 else None)
        cols["address"].append(f"海城市{TOWNS[t]}镇{TOWNS[(t + v) % len(TOWNS)]}村{rng.randint(1, 12)}组"
                               f"{rng.randint(1, 200)}号")
        cols["categories"].append(",".join(sorted(cats)))
        cols["members"].append(rng.randint(1, 6))
        cols["has_child"].append(rng.random() < 0.2)
        cols["village_code"].append(f"210381{t + 100:03d}{v + 200:03d}")
        cols["lon"].append(round(x, 7))
        cols["lat"].append(round(y, 7))
    return cols


# one statement for many households: psycopg parameters are the columns of synthetic_households
INSERT_HOUSEHOLDS = (
    "INSERT INTO households (head_name, phone, address, categories, members, has_child_under_14, "
    "village_code, source, geom) "
    "SELECT n, p, a, string_to_array(c, ','), m, k, v, 'bench', "
    f"ST_SetSRID(ST_MakePoint(x, y), {STORAGE_SRID}) "
    "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int[], %s::bool[], %s::text[], "
    "%s::float8[], %s::float8[]) AS u(n, p, a, c, m, k, v, x, y)")


def insert_parameters(cols: dict[str, list]) -> list[list]:
    """The parameters of :data:`INSERT_HOUSEHOLDS` for columns made by :func:`synthetic_households`."""
    return [cols[k] for k in ("head_name", "phone", "address", "categories", "members", "has_child",
                              "village_code", "lon", "lat")]


def load_households(url: str, n: int, seed: int) -> None:
    """One bulk INSERT … SELECT FROM unnest(…) with source='bench', then VACUUM ANALYZE."""
    import psycopg

    cols = synthetic_households(n, seed)
    t0 = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SELECT set_config('gis.user', 'bench', true), set_config('gis.reason', 'benchmark data', true)")
        conn.execute(INSERT_HOUSEHOLDS, insert_parameters(cols))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE households")
        conn.execute("VACUUM ANALYZE listed_features")  # written by the households trigger
    print(f"data: {n:,} synthetic households inserted (one statement, source='bench', seed {seed}) "
          f"in {time.perf_counter() - t0:.1f} s")


# --- contestants -------------------------------------------------------------------------------

BENCH_ROLE = "case_worker"  # the role that reads households in daily work (masked personal fields)


def capture_api_statement(url: str, path: str, credentials: tuple[str, str] | None) -> tuple[str, dict]:
    """The page statement the API sends to the driver for ``path`` (exactly, with the
    privacy rules): the same request, served in-process once, with the driver's execute watched."""
    with warnings.catch_warnings():  # "Using httpx with starlette.testclient is deprecated": harmless
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    import psycopg

    from gis_server.app import create_app
    from gis_server.settings import Settings

    captured: list[tuple[str, dict]] = []
    execute = psycopg.Cursor.execute

    def grab(cursor, query, params=None, **kwargs):  # noqa: ANN001, ANN003, ANN202
        if isinstance(query, str) and LISTED_TABLE in query:  # the page statement
            captured.append((query, dict(params or {})))
        return execute(cursor, query, params, **kwargs)

    app = create_app(Settings(database_url=sqlalchemy_url(url), _env_file=None))
    with TestClient(app) as client:
        def post(p: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
            r = client.post(p, content=body, headers=headers)
            return r.status_code, r.content

        headers = sign_in(post, credentials)
        psycopg.Cursor.execute = grab  # type: ignore[method-assign]
        try:
            response = client.get(path, headers=headers)
        finally:
            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    if response.status_code != 200 or len(captured) != 1:
        raise RuntimeError(f"could not capture the list statement: HTTP {response.status_code}, "
                           f"{len(captured)} statements: {response.text[:300]}")
    return captured[0]


def summary(body: bytes | str) -> tuple[int, int | None, list]:
    doc = json.loads(body)
    features = doc.get("features", [])
    return len(features), doc.get("numberMatched"), [f.get("id") for f in features]


@contextmanager
def contestants(url: str, bbox: tuple[float, ...], limit: int, with_tipg: bool,
                credentials: tuple[str, str] | None) -> Iterator[dict[str, Callable[[], object]]]:
    """Set up every contestant; yields {name: callable returning the body}; tears all down."""
    import psycopg

    bbox_param = ",".join(f"{v:.6f}" for v in bbox)
    api_path = f"/api/layers/{LAYER}/features?" + urlencode({"bbox": bbox_param, "limit": limit})
    with ExitStack() as stack:
        # 1. the SQL floor: the API's own statement (with its audit record for personal data) on one
        #    psycopg connection with the app's session settings, as the app runs it: autocommit (one
        #    round trip) and unprepared (planned with this bbox each time)
        statement, params = capture_api_statement(url, api_path, credentials)
        raw = psycopg.connect(libpq_url(url), options=SESSION_OPTIONS, autocommit=True)
        raw.adapters.register_loader("text", Utf8Bytes)  # the body as bytes, as the app reads it
        stack.callback(raw.close)

        def sql() -> tuple:
            return raw.execute(statement, params, prepare=False).fetchone()

        # 2. our API, signed in like a client
        api = stack.enter_context(uvicorn_server(
            "api", "gis_server.app:create_app", factory=True, ready_path="/api/health",
            env={"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "development"}))
        session = HttpGetter(api.port, "/api/health")
        headers = sign_in(session.post, credentials)
        session.close()
        api_get = HttpGetter(api.port, api_path, headers)
        stack.callback(api_get.close)
        out: dict[str, Callable[[], object]] = {"sql": sql, "api": api_get}

        # 3. tipg on the same table (no sign-in, no masking: it serves the raw columns)
        if with_tipg:
            tipg_dir = Path(tempfile.mkdtemp(prefix="bench-tipg-cwd-", dir="/tmp"))  # no stray .env
            stack.callback(tipg_dir.rmdir)
            tipg = stack.enter_context(uvicorn_server(
                "tipg", "tipg.main:app", ready_path=f"/collections/public.{LAYER}", cwd=tipg_dir,
                env={"DATABASE_URL": libpq_url(url) + "?jit=off",  # asyncpg: extra params = server settings
                     "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": f'["public.{LAYER}"]',
                     "TIPG_CATALOG_TTL": "0", "TIPG_MAX_FEATURES_PER_QUERY": "10000",
                     "TIPG_DEBUG": "false"}))
            tipg_get = HttpGetter(tipg.port, f"/collections/public.{LAYER}/items?" + urlencode(
                {"bbox": bbox_param, "limit": limit}))
            stack.callback(tipg_get.close)
            out["tipg"] = tipg_get
        yield out


# --- report ------------------------------------------------------------------------------------

def report(stats: dict[str, Stats], sizes: dict[str, int], counts: dict[str, int]) -> list[Row]:
    print()
    print(f"{'contestant':<10} {'req/s':>8} {'median ms':>10} {'p90 ms':>8} {'mean ms':>8} "
          f"{'n':>4} {'features':>9} {'bytes':>10}")
    for name, s in stats.items():
        print(f"{name:<10} {s.rps:8.1f} {s.median * 1000:10.2f} {s.p90 * 1000:8.2f} {s.mean * 1000:8.2f} "
              f"{s.n:4d} {counts[name]:9d} {sizes[name]:10,d}")
    print("(req/s = 1 / median latency of one sequential client; mean-based ratios in brackets)")
    print()
    api = stats["api"]
    verdicts = []
    rows = [Row(f"page of {counts['api']}: api median", api.median * 1000, "ms")]
    for other, target, label in (("sql", TARGET_SQL, "api/sql "), ("tipg", TARGET_TIPG, "api/tipg")):
        if other not in stats:
            continue
        ratio = api.rps / stats[other].rps
        ratio_mean = api.rps_mean / stats[other].rps_mean
        ok = ratio >= target
        verdicts.append(ok)
        rows.append(Row(f"page: {label.strip()} (requests/s)", ratio, "×", f"≥ {target:g}", ok))
        print(f"{label} = {ratio:5.2f}×  [{ratio_mean:5.2f}×]   target ≥ {target:g}×   "
              f"{'MET' if ok else 'NOT MET'}")
    print()
    print("RESULT:", "all targets met" if all(verdicts) else "target(s) NOT met")
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="an existing migrated database (e.g. the demo); no data is added")
    ap.add_argument("--households", type=int, default=30_000, help="synthetic rows (default 30000)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--centre", default=f"{CENTRE[0]},{CENTRE[1]}", help="bbox centre lon,lat")
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=80, help="timed requests per contestant (default 80)")
    ap.add_argument("--rounds", type=int, default=8, help="alternating rounds (default 8)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-tipg", action="store_true", help="skip tipg")
    ap.add_argument("--username", default=os.environ.get("GIS_BENCH_USER"),
                    help="with --database-url and sign-in: an account that may read households "
                         "(or GIS_BENCH_USER / GIS_BENCH_PASSWORD)")
    ap.add_argument("--password", default=os.environ.get("GIS_BENCH_PASSWORD"))
    args = ap.parse_args(argv)

    lon, lat = (float(v) for v in args.centre.split(","))
    bbox = bbox_around(lon, lat, HALF_SIDE_M)
    credentials: tuple[str, str] | None = None
    with ExitStack() as stack:
        if args.database_url:
            url = sqlalchemy_url(args.database_url)
            print("database: given by --database-url (no data added)")
            if not (args.username and args.password):
                ap.error("the API needs sign-in: give --username/--password of an account that may read "
                         "households")
            credentials = (args.username, args.password)
        else:
            from gis_server.migrate import upgrade

            url = stack.enter_context(throwaway_cluster())
            t0 = time.perf_counter()
            upgrade(url)
            print(f"database: migrated in {time.perf_counter() - t0:.1f} s")
            load_households(url, args.households, args.seed)
            credentials = create_bench_user(url, BENCH_ROLE)
        print(f"bbox: {','.join(map(str, bbox))} (5 × 5 km around {lon},{lat}), limit={args.limit}")

        with contestants(url, bbox, args.limit, not args.no_tipg, credentials) as fns:
            sizes, counts, ids = {}, {}, {}
            for name, fn in fns.items():
                body = fn()
                if name == "sql":  # the statement's row: the API puts the collection's fields around it
                    body = collection_bytes(*body)
                sizes[name] = len(body.encode() if isinstance(body, str) else body)
                counts[name], matched, ids[name] = summary(body)
                print(f"check: {name:<7} returns {counts[name]} features (numberMatched {matched}), "
                      f"{sizes[name]:,} bytes")
            if len(set(counts.values())) != 1 or counts["sql"] != args.limit:
                print(f"WARNING: contestants disagree or fall short of limit={args.limit}: {counts}")
            if sizes["api"] != sizes["sql"]:
                print("WARNING: the API's body differs from its captured statement's result")
            if "tipg" in ids:
                same = len(set(ids["api"]) & set(ids["tipg"]))
                print(f"check: api and tipg share {same} of {counts['api']} feature ids "
                      "(tipg has no default order, so the pages may differ)")
            print(f"timing: warm-up {args.warmup}, then {args.requests} requests each in {args.rounds} "
                  f"alternating rounds")
            stats = run_rounds(fns, requests=args.requests, rounds=args.rounds, warmup=args.warmup)
    return report(stats, sizes, counts)


if __name__ == "__main__":
    try:
        main()
        sys.exit(0)
    except KeyboardInterrupt:
        print("interrupted (cluster and servers stopped)")
        sys.exit(0)
