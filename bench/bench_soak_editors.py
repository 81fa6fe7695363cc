"""50 editors on the same 20 features (issue 18 item 5): no lost update, no 5xx, every accepted write in
the history.

One throwaway cluster, migrated; the app under uvicorn (one worker, as ``serve`` runs it); 50 accounts
(role ``admin``, who may edit shelters) each on its own keep-alive connection. Each editor loops for the
duration: read a random one of 20 shelters (its ETag), then ``PATCH`` its capacity to a value no one else
writes, with ``If-Match``. A 200 is an accepted write; a 409/412 a refused stale one (optimistic locking).

Afterwards, in the database: each feature's version is 1 + its accepted writes (no update lost), and each
accepted (feature, version, value) is a row of ``feature_history`` (nothing unrecorded).

    .venv/bin/python bench/bench_soak_editors.py [--seconds 60] [--editors 50] [--features 20]

Short version (``GIS_BENCH_QUICK=1``): 15 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, sqlalchemy_url, throwaway_cluster, uvicorn_server  # noqa: E402
from bench.rows import Row, percentile, quick  # noqa: E402


class Editor(threading.Thread):
    def __init__(self, number: int, port: int, token: str, features: list[int], until: float):
        super().__init__(daemon=True)
        self.number, self.port, self.features, self.until = number, port, features, until
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.accepted: list[tuple[int, int, int]] = []  # (feature, new version, capacity written)
        self.statuses: Counter[int] = Counter()
        self.patch_ms: list[float] = []
        self.random = random.Random(number)

    def _call(self, conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        serial = 0
        while time.monotonic() < self.until:
            feature = self.random.choice(self.features)
            path = f"/api/layers/shelters/features/{feature}"
            read = self._call(conn, "GET", path)
            self.statuses[read.status] += 1
            if read.status != 200:
                continue
            serial += 1
            capacity = self.number * 1_000_000 + serial  # who wrote it and which write: unique
            body = json.dumps({"properties": {"capacity": capacity}}).encode()
            started = time.perf_counter()
            written = self._call(conn, "PATCH", path, body, {"If-Match": read.getheader("ETag") or ""})
            self.patch_ms.append((time.perf_counter() - started) * 1000)
            self.statuses[written.status] += 1
            if written.status == 200:
                self.accepted.append((feature, int((written.getheader("ETag") or '"0"').strip('"')), capacity))
        conn.close()


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15 if quick() else 60)
    ap.add_argument("--editors", type=int, default=50)
    ap.add_argument("--features", type=int, default=20)
    args = ap.parse_args(argv)

    from sqlalchemy import create_engine, text

    from gis_server.accounts.security import issue_token
    from gis_server.accounts.service import create_user
    from gis_server.migrate import upgrade

    with throwaway_cluster("gis_bench_editors") as url:
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:
            for n in range(args.editors):
                create_user(conn, f"editor{n:02d}", "bench-" + secrets.token_urlsafe(12), ["admin"])
        secret = secrets.token_urlsafe(48)
        env = {"GIS_DATABASE_URL": sqlalchemy_url(url), "GIS_ENVIRONMENT": "test", "GIS_SECRET_KEY": secret,
               "GIS_DB_POOL_SIZE": "10", "GIS_DB_MAX_OVERFLOW": "10"}
        with uvicorn_server("api", "gis_server.app:create_app", factory=True, ready_path="/api/health",
                            env=env) as api:
            tokens = [issue_token(secret, f"editor{n:02d}", 3600) for n in range(args.editors)]
            conn = http.client.HTTPConnection(HOST, api.port, timeout=30)
            features = []
            for i in range(args.features):
                body = json.dumps({"type": "Feature", "geometry": {"type": "Point",
                                                                   "coordinates": [122.6 + i * 0.01, 40.85]},
                                   "properties": {"name": f"避难场所{i}", "shelter_type": "emergency",
                                                  "capacity": 0}}).encode()
                conn.request("POST", "/api/layers/shelters/features", body=body,
                             headers={"Authorization": f"Bearer {tokens[0]}", "Content-Type": "application/json"})
                response = conn.getresponse()
                created = json.loads(response.read())
                if response.status != 201:
                    raise RuntimeError(f"create shelter: {response.status} {created}")
                features.append(created["id"])
            conn.close()
            print(f"{args.editors} editors on {args.features} shelters for {args.seconds:.0f} s …", flush=True)
            until = time.monotonic() + args.seconds
            editors = [Editor(n, api.port, tokens[n], features, until) for n in range(args.editors)]
            started = time.perf_counter()
            for editor in editors:
                editor.start()
            for editor in editors:
                editor.join(args.seconds + 60)
            elapsed = time.perf_counter() - started
        statuses: Counter[int] = sum((e.statuses for e in editors), Counter())
        accepted = [a for e in editors for a in e.accepted]
        patch_ms = [ms for e in editors for ms in e.patch_ms]
        with engine.connect() as db:
            versions = dict(db.execute(text("SELECT id, version FROM shelters")).all())
            history = {(r[0], r[1]): r[2] for r in db.execute(text(
                "SELECT feature_id, version, (data->>'capacity')::bigint FROM feature_history "
                "WHERE layer = 'shelters' AND operation = 'update'"))}
        engine.dispose()

    per_feature = Counter(feature for feature, _, _ in accepted)
    lost = sum(1 for f in features if versions[f] != 1 + per_feature[f])
    unrecorded = sum(1 for f, v, capacity in accepted if history.get((f, v)) != capacity)
    duplicates = len(accepted) - len({(f, v) for f, v, _ in accepted})
    unexplained = len(history) - len(accepted)  # history rows of no write a client was told was accepted
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    refused = statuses[409] + statuses[412] + statuses[428]
    p50, p95 = percentile(patch_ms, 0.5), percentile(patch_ms, 0.95)
    print(f"statuses: {dict(sorted(statuses.items()))}; accepted {len(accepted)}, refused as stale {refused}")
    print(f"PATCH p50 {p50:.1f} ms, p95 {p95:.1f} ms; features whose version ≠ 1 + accepted writes: {lost}; "
          f"accepted writes missing from the history: {unrecorded}; versions given twice: {duplicates}")
    return [
        Row("editors: accepted writes", len(accepted) / elapsed, "/s"),
        Row("editors: stale writes refused (409/412)", refused / elapsed, "/s"),
        Row("editors: PATCH p50", p50, "ms"),
        Row("editors: PATCH p95", p95, "ms"),
        Row("editors: 5xx answers", server_errors, "", "= 0", server_errors == 0),
        Row("editors: lost updates (features)", lost + duplicates, "", "= 0", lost + duplicates == 0),
        Row("editors: accepted writes not in history", unrecorded, "", "= 0", unrecorded == 0),
        Row("editors: history rows of no accepted write", unexplained, "", "= 0", unexplained == 0),
        Row("editors: accepted writes", len(accepted), "", "> 0", len(accepted) > 0),
    ]


if __name__ == "__main__":
    for row in main(sys.argv[1:]):
        print(row)
