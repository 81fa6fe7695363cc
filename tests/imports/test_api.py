"""The import pipeline through the API: upload → dry run → report → commit, as each role."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.imports.conftest import checked, upload
from tests.imports.corpus import VILLAGE


def _commit(client: TestClient, layer: str, body: dict) -> dict:
    response = client.post(f"/api/layers/{layer}/imports/{body['id']}/commit")
    assert response.status_code == 200, response.text
    return response.json()


def test_households_csv_dry_run_commit_and_second_import_changes_nothing(
        client_as, corpus: dict[str, Path], places: None) -> None:
    worker = client_as("case_worker")
    body = checked(worker, "households", corpus["households.csv"])
    report = body["report"]
    assert body["status"] == "checked" and report["ok"], report
    assert report["counts"] == {"rows": 3, "problem_rows": 0, "problems": 0, "insert": 3, "update": 0,
                                "unchanged": 0}
    assert report["encoding"] == "UTF-8"
    assert report["crs"] == "EPSG:4490"
    assert report["columns"] == {"户主姓名": "head_name", "身份证号码": "id_number", "救助类别": "categories",
                                 "家庭人口": "members", "所在村": "village_code", "经度": "_lon", "纬度": "_lat"}
    assert (body["processed"], body["total"]) == (3, 3)
    done = _commit(worker, "households", body)
    assert done["status"] == "committed" and done["result"] == {"insert": 3, "update": 0, "unchanged": 0}

    listed = worker.get("/api/layers/households/features", params={"sort": "members"}).json()
    assert listed["numberMatched"] == 3
    props = [f["properties"] for f in listed["features"]]
    assert [(p["head_name"], p["categories"], p["members"], p["village_code"]) for p in props] == [
        ("李*", ["tekun_dispersed", "disabled"], 1, VILLAGE[0]), ("张*", ["dibao"], 3, VILLAGE[0]),
        ("王*", ["dibao_marginal"], 4, VILLAGE[0])]
    assert props[0]["id_number_masked"].startswith("210381") and "*" in props[0]["id_number_masked"]
    assert {p["source"] for p in props} == {"import"} and {p["created_by"] for p in props} == {"case_worker"}

    again = checked(worker, "households", corpus["households.csv"])
    assert again["report"]["counts"]["unchanged"] == 3 and again["report"]["counts"]["insert"] == 0
    assert _commit(worker, "households", again)["result"] == {"insert": 0, "update": 0, "unchanged": 3}
    assert worker.get("/api/layers/households/features").json()["numberMatched"] == 3
    history = worker.get(f"/api/layers/households/features/{listed['features'][0]['id']}/history").json()
    assert [v["version"] for v in history["versions"]] == [1]


def test_changed_row_becomes_a_new_version_in_the_importers_name(client_as, corpus, places, tmp_path) -> None:
    worker = client_as("case_worker")
    _commit(worker, "households", checked(worker, "households", corpus["households.csv"]))
    changed = tmp_path / "households.csv"
    changed.write_text(corpus["households.csv"].read_text().replace(",3,东关村", ",5,东关村"))
    body = checked(worker, "households", changed)
    assert body["report"]["counts"] == {"rows": 3, "problem_rows": 0, "problems": 0, "insert": 0, "update": 1,
                                        "unchanged": 2}
    _commit(worker, "households", body)
    row = worker.get("/api/layers/households/features", params={"members": "5"}).json()["features"][0]
    history = worker.get(f"/api/layers/households/features/{row['id']}/history").json()["versions"]
    assert [(v["version"], v["changed_by"], v["changed_fields"]) for v in history][1] == (
        2, "case_worker", ["members"])
    assert history[1]["reason"] == "导入文件“households.csv”"


def test_only_writers_import_and_imports_are_private(client_as, corpus, places) -> None:
    for role in ("viewer", "place_names_editor", "funeral_planner", "boundary_surveyor"):
        response = upload(client_as(role), "households", corpus["households.csv"])
        assert response.status_code == 403, role
        assert response.json()["message"] == "您无权向图层“困难群众户”导入数据"
    body = checked(client_as("case_worker"), "households", corpus["households.csv"])
    for role in ("viewer", "funeral_planner"):
        assert client_as(role).get(f"/api/layers/households/imports/{body['id']}").status_code == 403
    admin = client_as("admin")  # an admin writes no household (issue 14)
    assert admin.get(f"/api/layers/households/imports/{body['id']}").status_code == 403
    assert admin.post(f"/api/layers/households/imports/{body['id']}/commit").status_code == 403
    other = client_as("admin_case")  # may write households, but the import is the case worker's: not found
    assert other.get(f"/api/layers/households/imports/{body['id']}").status_code == 404
    assert other.post(f"/api/layers/households/imports/{body['id']}/commit").status_code == 404


def test_refused_file_changes_nothing(client, corpus, places) -> None:
    response = upload(client, "shelters", corpus["truncated.zip"])
    assert response.status_code == 422
    assert response.json()["message"] == "压缩包“truncated.zip”已损坏，无法解压" or "zip" in response.json()["message"]
    assert client.get("/api/layers/shelters/features").json()["numberMatched"] == 0


def test_an_uncommitted_file_is_dropped_after_a_day(client_as, conn, corpus, places) -> None:
    from sqlalchemy import text

    worker = client_as("case_worker")
    old = checked(worker, "households", corpus["households.csv"])
    assert conn.execute(text("SELECT content IS NOT NULL FROM imports WHERE id = :id"), {"id": old["id"]}).scalar()
    conn.execute(text("UPDATE imports SET created_at = now() - interval '25 hours' WHERE id = :id"), {"id": old["id"]})
    checked(worker, "households", corpus["households.csv"])
    assert conn.execute(text("SELECT content IS NULL FROM imports WHERE id = :id"), {"id": old["id"]}).scalar()
    response = worker.post(f"/api/layers/households/imports/{old['id']}/commit")
    assert response.status_code == 404
    assert response.json()["message"] == "导入的文件已不再保存（已提交、被拒绝或超过 1 天未提交）：请重新上传"


def test_an_admin_without_the_case_office_imports_no_household_and_learns_nothing(client_as, conn, corpus,
                                                                                 places) -> None:
    """Households are the case office's only (issue 14): an administrator's import is refused before the file
    is read, so no row of it is matched, named or stored, and a child's household stays unknown."""
    from sqlalchemy import text

    from tests.imports.corpus import HOUSEHOLDS
    from tests.utils.features import feature, point

    worker = client_as("case_worker")
    child = feature(point(122.70, 40.85), head_name="儿童户", categories=["left_behind_child"],
                    has_child_under_14=True, id_number=HOUSEHOLDS[0][1])
    assert worker.post("/api/layers/households/features", json=child).status_code == 201
    before = conn.execute(text("SELECT count(*) FROM households")).scalar()
    refused = upload(client_as("admin"), "households", corpus["households.csv"])
    assert refused.status_code == 403
    assert refused.json()["message"] == "您无权向图层“困难群众户”导入数据"
    assert conn.execute(text("SELECT count(*) FROM imports WHERE username = 'admin'")).scalar() == 0
    assert conn.execute(text("SELECT count(*) FROM households")).scalar() == before
