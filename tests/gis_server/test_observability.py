"""Operators' view: request ids on answers, error pages and log lines; JSON-lines logs; slow requests;
readiness; Prometheus metrics only for admins or this machine."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from gis_server.app import create_app
from gis_server.db import Database
from gis_server.observability import JsonLines
from tests.conftest import bearer
from tests.utils.database import RollbackDatabase, free_port

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def lines():
    """The service's log lines as parsed JSON objects."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("gis_server")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(r) for r in records]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def _app_client(settings, conn, **kw) -> TestClient:
    return TestClient(create_app(settings, database=RollbackDatabase(conn)), raise_server_exceptions=False, **kw)


def test_every_answer_carries_a_request_id_and_its_log_line_too(client, lines):
    response = client.get("/api/layers/shelters")
    request_id = response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    (line,) = [entry for entry in lines() if entry["message"] == "request"]
    assert line["request_id"] == request_id
    assert line["route"] == "/api/layers/{layer}"  # the template, not the path
    assert (line["method"], line["path"], line["status"], line["level"]) == ("GET", "/api/layers/shelters", 200,
                                                                              "info")
    assert line["ms"] >= 0
    assert client.get("/api/health").headers["X-Request-ID"] != request_id


def test_a_proxys_well_formed_request_id_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/api/health", headers={"X-Request-ID": "edge-4f2a-0001"}).headers["X-Request-ID"] \
        == "edge-4f2a-0001"
    for bad in ("short", "x" * 65, "a b c d e f g h", "<script>alert(1)</script>"):
        assert HEX_ID.fullmatch(client.get("/api/health", headers={"X-Request-ID": bad}).headers["X-Request-ID"])


def test_a_500_shows_the_request_id_to_quote_and_logs_it_with_the_exception(settings, conn, lines):
    app = create_app(settings, database=RollbackDatabase(conn))

    def boom() -> None:
        raise RuntimeError("secret detail that must stay in the log")

    app.add_api_route("/api/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/api/boom")
        page = test_client.get("/boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    body = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "secret detail" not in response.text
    assert body["message"] == "服务器内部错误，请稍后重试或联系管理员"
    assert page.status_code == 500
    assert f"请求编号：<code>{page.headers['X-Request-ID']}</code>" in page.text
    errors = [entry for entry in lines() if entry["level"] == "error"]
    assert [entry["request_id"] for entry in errors] == [body["request_id"], page.headers["X-Request-ID"]]
    assert "secret detail that must stay in the log" in errors[0]["exception"]


def test_requests_slower_than_the_threshold_are_logged_as_warnings_and_counted(settings, conn, lines):
    settings.slow_request_ms = 1
    with _app_client(settings, conn, client=("127.0.0.1", 40000)) as test_client:
        test_client.headers.update(bearer(settings, "admin"))
        test_client.get("/api/layers")
        metrics = test_client.get("/metrics").text
    slow = [entry for entry in lines() if entry["message"] == "slow request"]
    assert slow and slow[0]["route"] == "/api/layers" and slow[0]["level"] == "warning"
    assert 'gis_http_slow_requests_total{method="GET",route="/api/layers"} 1.0' in metrics


def test_metrics_are_for_admins_or_this_machine_only(settings, conn):
    with _app_client(settings, conn) as remote:
        assert remote.get("/metrics").status_code == 401
        remote.headers.update(bearer(settings, "viewer"))
        assert remote.get("/metrics").status_code == 403
        remote.headers.update(bearer(settings, "admin"))
        remote.get("/api/layers/shelters/features?limit=1")
        answer = remote.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text_ = answer.text
    assert 'gis_http_requests_total{method="GET",route="/api/layers/{layer}/features",status="200"} 1.0' in text_
    assert 'gis_http_request_seconds_bucket{le="0.005",method="GET",route="/api/layers/{layer}/features"}' in text_
    assert "gis_db_pool_size 5.0" in text_  # the test engine's pool: SQLAlchemy's default size
    with _app_client(settings, conn, client=("127.0.0.1", 40000)) as local:
        assert local.get("/metrics").status_code == 200
        # through a reverse proxy on this machine the caller is elsewhere: sign-in needed again
        assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401


def test_ready_checks_the_database_its_migrations_and_disk_space(client, settings, monkeypatch):
    answer = client.get("/api/ready")
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert {name: check["ok"] for name, check in checks.items()} == {"database": True, "migrations": True,
                                                                     "disk": True}
    monkeypatch.setattr("gis_server.migrate.script_heads", lambda: ["9999"])  # code newer than the database
    behind = client.get("/api/ready")
    assert behind.status_code == 503
    assert behind.json()["message"] == "数据库结构不是最新版本，请运行 haicheng-gis migrate"
    settings.ready_min_free_mb = 10**12
    full = client.get("/api/ready")
    assert "存放上传文件的磁盘空间不足" in full.json()["message"]


def test_ready_says_the_database_is_down_and_health_still_answers(settings):
    engine = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
                           connect_args={"connect_timeout": 2})
    with TestClient(create_app(settings, database=Database(engine)), raise_server_exceptions=False) as down:
        answer = down.get("/api/ready")
        assert down.get("/api/health").json() == {"status": "ok"}
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"] == {"ok": False, "message": "无法连接数据库"}
