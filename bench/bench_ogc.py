"""GET /ogc/collections/households/items?bbox=<5×5 km>&limit=1000 against tipg on the same table.

One run, one process, the same table, bbox and limit for every contestant (data and helpers of
``bench_features.py``):

* ``ogc``   — our OGC API – Features face (one uvicorn worker, Bearer token of a ``case_worker``):
              masked, privacy row filter, the read audited, paging links around the page;
* ``api``   — the service's own feature API for the same page (the reference the OGC face builds on);
* ``tipg``  — tipg (OGC API Features) under uvicorn serving the same table (no sign-in, no masking).

Target (issue 17): ogc ≥ 5 × tipg's throughput. Always exits 0.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bench_ogc.py            # throwaway cluster + 30,000 synthetic households
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_features import BENCH_ROLE, CENTRE, HALF_SIDE_M, LAYER, bbox_around, load_households, summary  # noqa: E402
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
from bench.rows import Row, quick  # noqa: E402

TARGET_TIPG = 5.0


class Reconnecting(HttpGetter):
    """A keep-alive getter that opens a new connection when the server closed an idle one (uvicorn's
    keep-alive timeout passes while the other contestants' rounds run)."""

    def get(self) -> bytes:
        try:
            return super().get()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.conn.host, self.conn.port, timeout=self.conn.timeout)
            return super().get()

    __call__ = get


@contextmanager
def contestants(url: str, bbox: tuple[float, ...], limit: int, credentials: tuple[str, str],
                with_tipg: bool) -> Iterator[dict[str, Callable[[], object]]]:
    bbox_param = ",".join(f"{v:.6f}" for v in bbox)
    query = urlencode({"bbox": bbox_param, "limit": limit})
    with ExitStack() as stack:
        server = stack.enter_context(uvicorn_server(
            "api", "gis_server.app:create_app", factory=True, ready_path="/api/health",
            env={"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "development"}))
        session = HttpGetter(server.port, "/api/health")
        headers = sign_in(session.post, credentials)
        session.close()
        out: dict[str, Callable[[], object]] = {}
        for name, path in (("ogc", f"/ogc/collections/{LAYER}/items?{query}"),
                           ("api", f"/api/layers/{LAYER}/features?{query}")):
            getter = Reconnecting(server.port, path, headers)
            stack.callback(getter.close)
            out[name] = getter
        if with_tipg:
            tipg_dir = Path(tempfile.mkdtemp(prefix="bench-tipg-cwd-", dir="/tmp"))  # no stray .env
            stack.callback(tipg_dir.rmdir)
            tipg = stack.enter_context(uvicorn_server(
                "tipg", "tipg.main:app", ready_path=f"/collections/public.{LAYER}", cwd=tipg_dir,
                env={"DATABASE_URL": libpq_url(url) + "?jit=off", "TIPG_DB_SCHEMAS": '["public"]',
                     "TIPG_DB_TABLES": f'["public.{LAYER}"]', "TIPG_CATALOG_TTL": "0",
                     "TIPG_MAX_FEATURES_PER_QUERY": "10000", "TIPG_DEBUG": "false"}))
            getter = Reconnecting(tipg.port, f"/collections/public.{LAYER}/items?{query}")
            stack.callback(getter.close)
            out["tipg"] = getter
        yield out


def report(stats: dict[str, Stats], counts: dict[str, int]) -> list[Row]:
    print()
    print(f"{'contestant':<10} {'req/s':>8} {'median ms':>10} {'p90 ms':>8} {'n':>4} {'features':>9}")
    for name, s in stats.items():
        print(f"{name:<10} {s.rps:8.1f} {s.median * 1000:10.2f} {s.p90 * 1000:8.2f} {s.n:4d} {counts[name]:9d}")
    print()
    ogc = stats["ogc"]
    rows = [Row("ogc: households items, 1,000 per page", ogc.rps, "/s"),
            Row("ogc/api (the feature API it builds on)", ogc.rps / stats["api"].rps, "×")]
    print(f"ogc/api  = {rows[1].figure:5.2f}×  (the OGC face against the feature API it builds on)")
    if "tipg" in stats:
        ratio = ogc.rps / stats["tipg"].rps
        rows.append(Row("ogc/tipg", ratio, "×", f"≥ {TARGET_TIPG:g}", ratio >= TARGET_TIPG))
        print(f"ogc/tipg = {ratio:5.2f}×  target ≥ {TARGET_TIPG:g}×   {'MET' if ratio >= TARGET_TIPG else 'NOT MET'}")
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=20 if quick() else 60)
    ap.add_argument("--rounds", type=int, default=4 if quick() else 6)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-tipg", action="store_true")
    args = ap.parse_args(argv)
    bbox = bbox_around(*CENTRE, HALF_SIDE_M)
    with ExitStack() as stack:
        from gis_server.migrate import upgrade

        url = stack.enter_context(throwaway_cluster())
        t0 = time.perf_counter()
        upgrade(url)
        print(f"database: migrated in {time.perf_counter() - t0:.1f} s")
        load_households(url, args.households, args.seed)
        credentials = create_bench_user(url, BENCH_ROLE)
        print(f"bbox: {','.join(map(str, bbox))} (5 × 5 km), limit={args.limit}")
        with contestants(url, bbox, args.limit, credentials, not args.no_tipg) as fns:
            counts = {}
            for name, fn in fns.items():
                counts[name], matched, _ = summary(fn())
                print(f"check: {name:<5} returns {counts[name]} features (numberMatched {matched})")
            stats = run_rounds(fns, requests=args.requests, rounds=args.rounds, warmup=args.warmup)
    return report(stats, counts)


if __name__ == "__main__":
    main()
    sys.exit(0)
