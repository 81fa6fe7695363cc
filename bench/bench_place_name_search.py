"""GET /api/place-names/search end to end vs its bare SQL, at 1×, 10× and 100× the demo's ~6k names.

One throwaway cluster, migrated; synthetic names in the demo's style (surname + 家 + generic, with
pinyin), copied ×10 and ×100 at other positions (a province repeats common names). For each scale
and each kind of query (Chinese prefix / full / infix, full pinyin, initials, an old name) it times:

* ``sql`` — the search statement with the request's parameters, on one SQLAlchemy connection;
* ``api`` — the FastAPI app under uvicorn (one worker), keep-alive HTTP, signed in as a viewer.

Target (issue 7): median ``api`` under 10 ms at every scale. Always exits 0.

    .venv/bin/python bench/bench_place_name_search.py [--scales 1,10,100] [--rounds 200]
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HttpGetter, sqlalchemy_url, throwaway_cluster, uvicorn_server  # noqa: E402
from bench.rows import Row, quick  # noqa: E402
from layers.base import STORAGE_SRID  # noqa: E402

BASE = 6000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
MODIFIERS = ["东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "新", "老", "三家", "二道", "双", "石", "柳"]
GENERICS = [("06100", "屯"), ("06100", "堡"), ("06100", "沟"), ("06100", "台"), ("07100", "路"), ("07100", "街"),
            ("06200", "小区"), ("11100", "小学"), ("02100", "山"), ("01100", "河")]
QUERIES = {"中文前缀": "王家", "中文全称": "东王家屯", "中文中缀": "王家屯", "全拼": "wangjiatun", "首字母": "wjt",
           "曾用名": "老城屯"}


def names(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    from layers.gazetteer.pinyin import suggest

    r = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        specific = r.choice(MODIFIERS) * (r.random() < 0.4) + r.choice(SURNAMES) + "家" * (r.random() < 0.7)
        class_code, generic = r.choice(GENERICS)
        name = specific + generic
        if (name, class_code) in seen and r.random() < 0.9:
            continue
        seen.add((name, class_code))
        out.append((name, class_code, suggest(name, class_code).toneless))
    return out


def load(conn, rows: list[tuple[str, str, str]], copies: int, r: random.Random) -> None:  # noqa: ANN001
    from sqlalchemy import text

    sql = text("INSERT INTO place_names (name, class_code, pinyin, township_code, village_code, geom) VALUES "
               f"(:n, :c, :p, '210381001', '210381001001', ST_SetSRID(ST_MakePoint(:x, :y), {STORAGE_SRID}))")
    batch = [{"n": n, "c": c, "p": p, "x": r.uniform(122.4, 123.1), "y": r.uniform(40.5, 41.1)}
             for _ in range(copies) for n, c, p in rows]
    for i in range(0, len(batch), 5000):
        conn.execute(sql, batch[i:i + 5000])


def median_ms(call, rounds: int) -> float:  # noqa: ANN001
    for _ in range(5):
        call()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    if quick() and not argv:  # make bench: 1× and 10× (the 100× names take a quarter of an hour to insert)
        args.scales, args.rounds = "1,10", 50
    scales = [int(s) for s in args.scales.split(",")]

    from sqlalchemy import create_engine, text

    from gis_server.accounts.service import create_user
    from gis_server.migrate import upgrade
    from layers.features import planned_each_time
    from layers.gazetteer.search import SearchQuery, search_params, statement

    r = random.Random(11)
    base = names(BASE)
    with throwaway_cluster() as url:
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url), connect_args={"options": "-c jit=off"})
        password = "bench-" + secrets.token_urlsafe(12)
        with engine.begin() as conn:
            create_user(conn, "bench_viewer", password, ["viewer"])
            load(conn, base, 1, r)
            old = conn.execute(text("SELECT id FROM place_names WHERE name LIKE '东王家%' LIMIT 1")).scalar_one()
            conn.execute(text("INSERT INTO place_name_variants (place_name_id, name, kind) "
                              "VALUES (:p, '老城屯', 'historical')"), {"p": old})
        env = {"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "development"}
        with uvicorn_server("api", "gis_server.app:create_app", factory=True, ready_path="/api/health",
                            env=env) as api:
            session = HttpGetter(api.port, "/api/health")
            status, body = session.post("/api/auth/token", urlencode(
                {"username": "bench_viewer", "password": password}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
            import json

            headers = {"Authorization": "Bearer " + json.loads(body)["access_token"]}
            loaded = 1
            figures: list[Row] = []
            print(f"{'规模':>8} {'查询':<8} {'q':<12} {'命中':>7} {'sql ms':>8} {'api ms':>8} {'api/sql':>8}")
            for scale in scales:
                if scale > loaded:
                    t0 = time.perf_counter()
                    with engine.begin() as conn:
                        load(conn, base, scale - loaded, r)
                    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("ANALYZE place_names"))
                    print(f"loaded ×{scale} ({BASE * scale} names) in {time.perf_counter() - t0:.1f} s")
                    loaded = scale
                with engine.connect() as conn, planned_each_time(conn):  # as the search plans its statement
                    for label, q in QUERIES.items():
                        params = search_params(SearchQuery(q))
                        sql = text(statement(q))
                        rows = conn.execute(sql, params).all()
                        sql_ms = median_ms(lambda p=params, s=sql: conn.execute(s, p).all(), args.rounds)
                        getter = HttpGetter(api.port, "/api/place-names/search?" + urlencode({"q": q}), headers)
                        api_ms = median_ms(getter.get, args.rounds)
                        getter.close()
                        total = rows[0].total if rows else 0
                        print(f"{BASE * scale:>8} {label:<8} {q:<12} {total:>7} {sql_ms:>8.2f} {api_ms:>8.2f} "
                              f"{api_ms / sql_ms:>8.1f}")
                        figures.append(Row(f"search {BASE * scale} names, {label} {q}: api", api_ms, "ms"))
            session.close()
        engine.dispose()
    return figures


if __name__ == "__main__":
    main()
