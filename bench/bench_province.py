"""Headline endpoints at county and province scale (issue 18 item 6): the same request at 1×, 10× and
100× the county's data, the province made as ``haicheng-gis demo province`` makes it (a grid of moved
counties: a county's request has a county's answer); target: within 2× of the county figure.
(``bench_scale.py`` grows the data in place instead: denser counties, answers that grow.)

One throwaway cluster with the demo dataset (the county: 30,000 households, ~5,600 place names, 3,000
graves); the app under uvicorn (one worker), signed in as a case worker (an administrator reads no
household). The province is made by
``gis_server.province.generate`` (``haicheng-gis demo province``): moved copies on a grid of counties,
so the county's requests have the county's answers. For each scale, the median of ``--calls`` calls of:

* a 100-household page in a 5 × 5 km box in the city;  * the households tile z14 over the city;
* a place-name search (王家);                          * a site check (a point north of the city);
* the county's coverage by township (happiness homes: counts every household of the county).

The tile cache is off (every tile rendered). The scale curves (issue 21 item 5) are the same table:
each request at every scale with its ratio to 1×, > 2× marked NOT MET; the load average is printed with it.

    .venv/bin/python bench/bench_province.py [--scales 1,10,100] [--calls 30]

Short version (``GIS_BENCH_QUICK=1``): scales 1 and 10.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, sqlalchemy_url, throwaway_cluster, uvicorn_server  # noqa: E402
from bench.rows import Row, quick  # noqa: E402

TARGET = 2.0
REQUESTS = {
    "feature page (100 households, 5 × 5 km)": ("GET", "/api/layers/households/features?limit=100"
                                                       "&bbox=122.66,40.857,122.72,40.903", None),
    "households tile z14": ("GET", "/tiles/households/14/13775/6149.pbf", None),
    "place-name search 王家": ("GET", "/api/place-names/search?q=" + quote("王家"), None),
    "site check (point)": ("POST", "/api/siting/check",
                           {"geometry": {"type": "Point", "coordinates": [122.75, 40.95]}}),
    "coverage by township (happiness homes)": ("GET", "/api/coverage?facility_type=happiness_home&by=township",
                                               None),
}


def median_ms(port: int, token: str, method: str, path: str, body: dict | None, calls: int) -> float:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    times = []
    for i in range(calls + 3):
        started = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status}")
        if i >= 3:  # warm-up
            times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return statistics.median(times)


def print_curves(figures: dict[int, dict[str, float]], scales: list[int]) -> None:
    """One table: each request's median at every scale and its ratio to 1× (> 2× marked NOT MET)."""
    print(f"\nscale curves (load average {' '.join(f'{v:.2f}' for v in os.getloadavg())})")
    print(f"{'request':<42}" + "".join(f"{f'{s}× ms':>11}" for s in scales)
          + "".join(f"{f'{s}×/1×':>16}" for s in scales[1:]))
    for name in REQUESTS:
        ratios = [figures[s][name] / figures[scales[0]][name] for s in scales[1:]]
        print(f"{name:<42}" + "".join(f"{figures[s][name]:11.1f}" for s in scales)
              + "".join(f"{r:7.2f}× {'MET' if r <= TARGET else 'NOT MET':>7}" for r in ratios), flush=True)


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,10" if quick() else "1,10,100")
    ap.add_argument("--calls", type=int, default=30)
    args = ap.parse_args(argv)
    scales = sorted(int(s) for s in args.scales.split(","))

    from sqlalchemy import create_engine

    from gis_server.accounts.security import issue_token
    from gis_server.accounts.service import create_user
    from gis_server.migrate import upgrade
    from gis_server.province import generate
    from importers.demo import load_demo

    figures: dict[int, dict[str, float]] = {}
    with throwaway_cluster("gis_bench_province") as url:
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url))
        load_demo(engine, echo=lambda line: None)
        with engine.begin() as conn:
            create_user(conn, "scale", "bench-" + secrets.token_urlsafe(12), ["case_worker"])  # reads households
        secret = secrets.token_urlsafe(48)
        env = {"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "test", "GIS_SECRET_KEY": secret,
               "GIS_TILE_CACHE_MB": "0"}
        token = issue_token(secret, "scale", 7200)
        for scale in scales:
            if scale > 1:
                started = time.perf_counter()
                counts = generate(engine, scale, echo=lambda line: None)  # replaces the smaller province
                print(f"×{scale}: {counts} in {time.perf_counter() - started:.0f} s", flush=True)
            with uvicorn_server("api", "gis_server.app:create_app", factory=True, ready_path="/api/health",
                                env=env, echo=lambda line: None) as api:
                figures[scale] = {name: median_ms(api.port, token, *request, args.calls)
                                  for name, request in REQUESTS.items()}
            print(f"×{scale}: " + "; ".join(f"{k} {v:.1f} ms" for k, v in figures[scale].items()), flush=True)
        engine.dispose()
    print_curves(figures, scales)
    rows = []
    for name in REQUESTS:
        for scale in scales:
            rows.append(Row(f"province ×{scale}: {name}", figures[scale][name], "ms"))
        for scale in scales[1:]:
            ratio = figures[scale][name] / figures[1][name]
            rows.append(Row(f"province ×{scale} / ×1: {name}", ratio, "×", f"≤ {TARGET:.0f}", ratio <= TARGET))
    return rows


if __name__ == "__main__":
    for row in main(sys.argv[1:]):
        print(row)
