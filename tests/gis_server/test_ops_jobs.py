"""Background jobs (issue 18 item 4, issue 21 item 4): the county dictionary PDF and suitable land run as
jobs with status and progress; two users asking for the same work share one run; a job is visible only to
those who asked (and admins); a failing job says so in Chinese; the job state is in the metrics."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from gis_server.accounts.service import create_user
from gis_server.app import create_app
from gis_server.jobs import JobContext, handler
from gis_server.settings import Settings
from layers.errors import InvalidInput
from tests.conftest import PASSWORD, bearer
from tests.utils.database import committed_database, urls_of

GATE = threading.Event()
SEEN: list[dict] = []


@handler("test.gated")
def _gated(ctx: JobContext, params: dict) -> dict:
    """Reports half-way, then waits for the test to open the gate."""
    SEEN.append(params)
    ctx.progress(0.5, "一半")
    assert GATE.wait(20)
    return {"echo": params["n"]}


@handler("test.refused")
def _refused(ctx: JobContext, params: dict) -> dict:
    raise InvalidInput("参数不对：n 必须为正数", "n must be positive")


@handler("test.half_written")
def _half_written(ctx: JobContext, params: dict) -> dict:
    """Writes rows in its transaction, then dies: nothing of it may remain."""
    with ctx.db.transaction() as conn:
        conn.execute(text("INSERT INTO jobs (kind, key) VALUES ('test.trace', 'a'), ('test.trace', 'b')"))
        raise RuntimeError("killed midway")


def test_dictionary_pdf_job_gives_the_file_to_whoever_asked(client, client_as):
    started = client.post("/api/place-names/dictionary/jobs", params={"township_code": "210381101"})
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["kind"], job["status"], job["progress"]) == ("place_names.dictionary", "done", 1.0)
    assert job["status_url"] == f"/api/jobs/{job['id']}" and job["result_url"] == f"/api/jobs/{job['id']}/result"
    assert job["result"]["entries"] == 0 and job["result"]["title"] == "海城市地名词典.pdf"
    pdf = client.get(job["result_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) == job["result"]["bytes"]
    assert "place_name_dictionary.pdf" in pdf.headers["content-disposition"]
    # another user did not ask for it: the job does not exist for them (same answer as a missing id)
    other = client_as("viewer")
    for path in (job["status_url"], job["result_url"], "/api/jobs/987654321"):
        refused = other.get(path)
        assert refused.status_code == 404, path
        assert refused.json()["message"].startswith("没有编号为")
    assert client.post("/api/place-names/dictionary/jobs", params={"township_code": "1" * 10}).status_code == 422


def test_county_suitable_land_is_a_job_for_planners_only(client, client_as):
    assert client_as("viewer").post("/api/siting/suitable/county").status_code == 403
    answer = client.post("/api/siting/suitable/county")
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["job"]["kind"] == "siting.suitable_county" and body["status"] == "done"
    assert body["job"]["result"]["rule_set"] == body["rule_set"]


@pytest.fixture
def live(database_url: str, tmp_path: Path):
    """An app on a committed database with its own engine: real worker threads."""
    with committed_database(database_url, "gis_jobs") as app_url:
        engine = create_engine(urls_of(app_url).owner)
        with engine.begin() as conn:
            for name in ("admin", "viewer", "case_worker"):
                create_user(conn, name, PASSWORD, [name])
        engine.dispose()
        settings = Settings(environment="test", database_url=app_url, data_dir=tmp_path, _env_file=None)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client, settings


def _wait(client: TestClient, job_id: int, headers: dict, status: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] == status:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {status}: {job}")


def test_two_users_asking_for_the_same_work_share_one_run(live):
    client, settings = live
    viewer, worker = bearer(settings, "viewer"), bearer(settings, "case_worker")
    app = client.app
    GATE.clear()
    SEEN.clear()
    from gis_server.jobs import submit

    first = submit(app, "test.gated", "same", {"n": 1}, "viewer")
    running = _wait(client, first, viewer, "running")
    assert running["progress"] == 0.5 and running["message"] == "一半"
    assert submit(app, "test.gated", "same", {"n": 1}, "case_worker") == first  # joined, not run again
    other = submit(app, "test.gated", "different", {"n": 2}, "case_worker")
    assert other != first
    assert client.get(f"/api/jobs/{first}", headers=worker).status_code == 200  # both requesters see it
    assert client.get(f"/api/jobs/{other}", headers=viewer).status_code == 404
    result = client.get(f"/api/jobs/{first}/result", headers=viewer)
    assert result.status_code == 409 and result.json()["message"] == f"任务 {first} 进行中，还没有结果文件"
    GATE.set()
    done = _wait(client, first, viewer, "done")
    assert done["result"] == {"echo": 1} and done["progress"] == 1.0
    assert _wait(client, other, worker, "done")["result"] == {"echo": 2}
    assert SEEN == [{"n": 1}, {"n": 2}]  # one run each
    # once finished, the same work may be asked for again: a new run
    again = submit(app, "test.gated", "same", {"n": 1}, "viewer")
    assert again not in (first, other)
    assert _wait(client, again, viewer, "done")["result"] == {"echo": 1}

    metrics = client.get("/metrics", headers=bearer(settings, "admin")).text
    assert 'gis_jobs{kind="test.gated",status="done"} 3.0' in metrics


def test_a_failing_job_says_why_and_leaves_nothing_half_written(live):
    client, settings = live
    admin = bearer(settings, "admin")
    from gis_server.jobs import submit

    refused = _wait(client, submit(client.app, "test.refused", "x", {}, "case_worker"), admin, "failed")
    assert refused["message"] == "参数不对：n 必须为正数" and refused["status_text"] == "失败"
    broken = _wait(client, submit(client.app, "test.half_written", "x", {}, "case_worker"), admin, "failed")
    assert broken["message"] == "任务失败，请联系管理员（见日志中的任务编号）"
    unknown = _wait(client, submit(client.app, "test.no_such_kind", "x", {}, "case_worker"), admin, "failed")
    assert unknown["message"] == "未知的任务类型：test.no_such_kind"
    with client.app.state.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs WHERE kind = 'test.trace'")).scalar() == 0


def test_finished_jobs_are_pruned_after_their_days(client, conn):
    from gis_server.jobs import queue

    db = client.app.state.db
    conn.execute(text("INSERT INTO jobs (kind, key, status, finished_at) VALUES "
                      "('test.old', 'a', 'done', now() - interval '8 days'), "
                      "('test.old', 'b', 'failed', now() - interval '6 days'), "
                      "('test.old', 'c', 'running', NULL)"))
    assert queue.prune(db, 7) == 1
    assert sorted(conn.execute(text("SELECT key FROM jobs WHERE kind = 'test.old'")).scalars()) == ["b", "c"]
