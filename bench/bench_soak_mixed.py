"""A mixed soak (issue 18 item 5): reads, tiles, searches and writes for 10 minutes; the server's memory
stays flat and nothing answers 5xx.

One throwaway cluster with the demo dataset; the app under uvicorn (one worker). Eight clients loop over
a mix: a 100-feature households page (case worker), a households tile, a place-name search, a site
check, a shelter read-and-edit. Every ``--sample`` seconds the server's resident memory (``VmRSS`` of
its process) is read. Memory is "flat" when the median of the last quarter of the samples is within
10 % of the median of the second quarter (the first is warm-up: caches filling).

    .venv/bin/python bench/bench_soak_mixed.py [--seconds 600] [--clients 8]

Short version (``GIS_BENCH_QUICK=1``): 60 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, sqlalchemy_url, throwaway_cluster, uvicorn_server  # noqa: E402
from bench.rows import Row, percentile, quick  # noqa: E402

CENTRE = (122.69, 40.88)
SEARCHES = ("wjt", "王家", "niuzhuang", "屯")
FLAT = 1.10


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (uvicorn runs the app in the process itself)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client(threading.Thread):
    def __init__(self, number: int, port: int, token: str, shelters: list[int], until: float):
        super().__init__(daemon=True)
        self.port, self.shelters, self.until = port, shelters, until
        self.random = random.Random(number)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.statuses: Counter[int] = Counter()
        self.ms: list[float] = []
        self.failures: list[str] = []  # a client that broke off (connection reset, timeout)

    def call(self, conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None,
             headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        started = time.perf_counter()
        conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                     headers={**self.headers, **(headers or {})})
        response = conn.getresponse()
        response.read()
        self.ms.append((time.perf_counter() - started) * 1000)
        self.statuses[response.status] += 1
        return response

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 (counted and reported, not raised in a thread)
            self.failures.append(repr(exc))

    def _loop(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        r = self.random
        while time.monotonic() < self.until:
            lon, lat = CENTRE[0] + r.uniform(-0.1, 0.1), CENTRE[1] + r.uniform(-0.08, 0.08)
            kind = r.random()
            if kind < 0.3:
                self.call(conn, "GET", f"/api/layers/households/features?limit=100&bbox={lon - 0.02},{lat - 0.02},"
                                       f"{lon + 0.02},{lat + 0.02}")
            elif kind < 0.55:
                self.call(conn, "GET", f"/tiles/households/14/{13775 + r.randint(-3, 3)}/{6149 + r.randint(-3, 3)}.pbf")
            elif kind < 0.75:
                self.call(conn, "GET", "/api/place-names/search?q=" + quote(r.choice(SEARCHES)))
            elif kind < 0.9:
                self.call(conn, "POST", "/api/siting/check", {"geometry": {"type": "Point", "coordinates": [lon, lat]}})
            else:
                path = f"/api/layers/shelters/features/{r.choice(self.shelters)}"
                read = self.call(conn, "GET", path)
                if read.status == 200:
                    self.call(conn, "PATCH", path, {"properties": {"capacity": r.randint(0, 5000)}},
                              {"If-Match": read.getheader("ETag") or ""})
        conn.close()


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60 if quick() else 600)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--sample", type=float, default=2.0)
    args = ap.parse_args(argv)

    from sqlalchemy import create_engine, text

    from gis_server.accounts.security import issue_token
    from gis_server.accounts.service import create_user
    from gis_server.migrate import upgrade
    from importers.demo import load_demo

    with throwaway_cluster("gis_bench_soak") as url:
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url))
        load_demo(engine, echo=lambda line: None)
        with engine.begin() as conn:
            # the case office reads households (an administrator alone is refused them), the admin edits shelters
            create_user(conn, "soak", "bench-" + secrets.token_urlsafe(12), ["admin", "case_worker"])
            shelters = list(conn.execute(text("SELECT id FROM shelters ORDER BY id LIMIT 20")).scalars())
        engine.dispose()
        secret = secrets.token_urlsafe(48)
        env = {"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "test", "GIS_SECRET_KEY": secret}
        with uvicorn_server("api", "gis_server.app:create_app", factory=True, ready_path="/api/health",
                            env=env) as api:
            token = issue_token(secret, "soak", 7200)
            print(f"{args.clients} clients, mixed traffic, {args.seconds:.0f} s …", flush=True)
            until = time.monotonic() + args.seconds
            clients = [Client(n, api.port, token, shelters, until) for n in range(args.clients)]
            for client in clients:
                client.start()
            samples: list[float] = []
            while time.monotonic() < until:
                samples.append(rss_mb(api.process.pid))
                time.sleep(args.sample)
            for client in clients:
                client.join(120)
    statuses: Counter[int] = sum((c.statuses for c in clients), Counter())
    ms = [m for c in clients for m in c.ms]
    quarter = max(1, len(samples) // 4)
    early, late = statistics.median(samples[quarter:2 * quarter]), statistics.median(samples[-quarter:])
    growth = late / early
    errors = sum(n for s, n in statuses.items() if s >= 500) + sum(len(c.failures) for c in clients)
    # a refusal other than a stale write (412) means the mix did not run as meant (e.g. a role refused)
    refused = sum(n for s, n in statuses.items() if 400 <= s < 500 and s != 412)
    for client in clients:
        for failure in client.failures:
            print(f"client broke off: {failure}")
    print(f"statuses {dict(sorted(statuses.items()))}; RSS samples (MB): {[round(s) for s in samples]}")
    return [
        Row("soak: requests", len(ms) / args.seconds, "/s"),
        Row("soak: p50", percentile(ms, 0.5), "ms"),
        Row("soak: p95", percentile(ms, 0.95), "ms"),
        Row("soak: 5xx answers or broken connections", errors, "", "= 0", errors == 0),
        Row("soak: refused requests (4xx other than a stale write)", refused, "", "= 0", refused == 0),
        Row("soak: server RSS, second quarter", early, "MB"),
        Row("soak: server RSS, last quarter", late, "MB"),
        Row("soak: RSS last / second quarter", growth, "×", f"≤ {FLAT:.2f}", growth <= FLAT),
    ]


if __name__ == "__main__":
    for row in main(sys.argv[1:]):
        print(row)
