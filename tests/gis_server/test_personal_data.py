"""Households: ID numbers checked, encrypted and masked; reveals and reads audited; children kept off maps."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from layers.masks import SQL_MASKS
from layers.privacy import PYTHON_MASKS
from tests.utils.features import feature, point
from tests.utils.write_strictness import OTHER_VILLAGE, VILLAGE, admin_units

ID = "21038119800101101X"  # valid GB 11643 check character


def household(client, **props):
    body = {"head_name": "张三丰", "categories": ["dibao"], "phone": "13812345678", "address": "海城市海州街道某路8号",
            **props}
    response = client.post("/api/layers/households/features", json=feature(point(), **body))
    assert response.status_code == 201, response.text
    return response.json()


def test_id_number_with_a_bad_check_character_is_refused(client):
    response = client.post("/api/layers/households/features", json=feature(
        point(), head_name="张三", categories=["dibao"], id_number="210381198001011011"))
    assert response.status_code == 422
    assert response.json()["message"] == "身份证号码校验码错误：最后一位应为 X，请核对号码"
    assert client.get("/api/layers/households/features").json()["numberMatched"] == 0


def test_id_number_shape_and_birth_date_are_checked(client):
    for bad, fragment in (("21038119800101", "18 位"), ("210381198013011010", "出生日期")):
        response = client.post("/api/layers/households/features", json=feature(
            point(), head_name="张三", categories=["dibao"], id_number=bad))
        assert response.status_code == 422
        assert fragment in response.json()["message"]


def test_id_number_is_stored_encrypted_never_in_clear(client, conn):
    created = household(client, id_number=ID.lower())
    row = conn.execute(text("SELECT id_number_cipher, id_number_hash, id_number_masked FROM households WHERE id = :id"),
                       {"id": created["id"]}).one()
    assert ID.encode() not in bytes(row[0])
    assert len(row[1]) == 64 and ID not in row[1]
    assert row[2] == "210381********101X"
    everything = conn.execute(text("SELECT string_agg(t::text, '|') FROM households t")).scalar_one()
    assert ID not in everything and ID.lower() not in everything
    history = conn.execute(text("SELECT string_agg(data::text, '|') FROM feature_history")).scalar_one()
    assert ID not in history
    audit = conn.execute(text("SELECT coalesce(string_agg(t::text, '|'), '') FROM audit_log t")).scalar_one()
    assert ID not in audit


def test_a_duplicate_id_number_is_refused_by_its_keyed_hash(client):
    first = household(client, id_number=ID)
    response = client.post("/api/layers/households/features", json=feature(
        point(), head_name="李四", categories=["orphan"], id_number=ID))
    assert response.status_code == 409
    assert str(first["id"]) in response.json()["message"]


def test_personal_fields_are_masked_in_single_list_and_export_even_for_case_workers(client_as, client):
    created = household(client, id_number=ID)
    case_worker = client_as("case_worker")
    single = case_worker.get(f"/api/layers/households/features/{created['id']}").json()["properties"]
    listed = case_worker.get("/api/layers/households/features").json()["features"][0]["properties"]
    for props in (created["properties"], single, listed):
        assert props["head_name"] == "张**"
        assert props["phone"] == "138****5678"
        assert props["id_number_masked"] == "210381********101X"
        assert props["address"] == "海城市海州****"
        assert "id_number" not in props and "id_number_cipher" not in props and "id_number_hash" not in props
    exported = case_worker.get("/api/layers/households/export", params={"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert "户主姓名" in rows[0]
    assert "张**" in rows[2] and "张三丰" not in exported.text and "13812345678" not in exported.text
    xlsx = case_worker.get("/api/layers/households/export", params={"format": "xlsx"})
    cells = [c for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    assert "张**" in cells and "张三丰" not in cells


def test_case_worker_reveals_one_record_and_the_reveal_is_audited(client_as, client):
    created = household(client, id_number=ID)
    case_worker = client_as("case_worker")
    response = case_worker.get(f"/api/layers/households/features/{created['id']}", params={"reveal": "true"})
    assert response.status_code == 200
    props = response.json()["properties"]
    assert (props["head_name"], props["phone"], props["id_number"]) == ("张三丰", "13812345678", ID)
    entries = client.get("/api/audit", params={"action": "reveal"}).json()["entries"]
    assert [(e["username"], e["layer"], e["feature_id"]) for e in entries] == [
        ("case_worker", "households", created["id"])]


def test_other_roles_cannot_reveal(client_as, client):
    created = household(client)
    for role in ("viewer", "funeral_planner", "place_names_editor", "boundary_surveyor", "admin"):
        response = client_as(role).get(f"/api/layers/households/features/{created['id']}", params={"reveal": "true"})
        assert response.status_code == 403


def test_reads_and_exports_of_personal_data_are_audited(client_as, client):
    household(client)
    case_worker = client_as("case_worker")
    case_worker.get("/api/layers/households/features", params={"bbox": "122.6,40.8,122.8,40.9"})
    case_worker.get("/api/layers/households/export", params={"format": "xlsx"})
    entries = client.get("/api/audit", params={"user": "case_worker"}).json()["entries"]
    assert [e["action"] for e in entries] == ["export", "read_personal"]
    assert entries[0]["detail"] == {"format": "xlsx", "count": 1}
    assert entries[1]["detail"]["bbox"] == "122.6,40.8,122.8,40.9"


def test_non_personal_layers_are_not_audited_on_read(client):
    client.get("/api/layers/roads/features")
    assert client.get("/api/audit", params={"action": "read_personal"}).json()["numberMatched"] == 0


def test_households_with_young_children_only_for_the_case_office(client_as, client):
    household(client, head_name="有童户", has_child_under_14=True)
    household(client, head_name="无童户")
    household(client, head_name="留守户", categories=["left_behind_child"])  # a child category, flag left unticked
    case_worker = client_as("case_worker").get("/api/layers/households/features").json()
    assert case_worker["numberMatched"] == 3
    viewer = client_as("viewer").get("/api/layers/households/features")
    assert viewer.status_code == 403  # nobody outside the case office lists households, children or not


def test_a_child_household_is_not_found_outside_the_case_office_by_any_path(client_as, client):
    created = household(client_as("case_worker"), head_name="有童户", has_child_under_14=True)
    path = f"/api/layers/households/features/{created['id']}"
    admin = client_as("admin")
    for response in (admin.get(path), admin.get(path, params={"reveal": "true"}), admin.get(f"{path}/history"),
                     admin.patch(path, json={"properties": {"members": 3}}, headers={"If-Match": '"1"'}),
                     admin.delete(path, headers={"If-Match": '"1"'}),
                     admin.post(f"{path}/restore", json={"version": 1}, headers={"If-Match": '"1"'})):
        assert response.status_code == 403, response.text  # the admin is not the case office
    case_worker = client_as("case_worker")
    assert case_worker.get(path).json()["properties"]["members"] == 1  # nothing was changed
    assert case_worker.get(path, params={"reveal": "true"}).json()["properties"]["head_name"] == "有童户"


def test_the_masked_id_number_is_made_by_the_system_not_written_by_clients(client):
    response = client.post("/api/layers/households/features", json=feature(
        point(), head_name="王五", categories=["dibao"], id_number_masked="210381201503037898"))
    assert response.status_code == 422
    assert response.json()["message"] == ("身份证号码（id_number_masked）由系统生成，不能直接填写"
                                          "（请填写“身份证号码”（id_number））")
    assert client.get("/api/layers/households/features").json()["numberMatched"] == 0
    assert "derived" in {k for f in client.get("/api/layers/households").json()["fields"] for k in f if f[k]}


def test_lists_cannot_be_filtered_or_sorted_by_personal_fields(client_as, client):
    admin_units(client)
    household(client, village_code="210381001001")
    worker = client_as("case_worker")
    for params in ({"phone": "13812345678"}, {"head_name": "张三丰"}, {"sort": "head_name"},
                   {"sort": "-address"}, {"id_number_masked": "210381********101X"}):
        for path in ("/api/layers/households/features", "/api/layers/households/export"):
            response = worker.get(path, params=params)
            assert response.status_code == 422, (path, params)
            assert "不能按个人信息字段" in response.json()["message"]
    assert worker.get("/api/layers/households/features", params={"village_code": "210381001001"}).json()[
        "numberMatched"] == 1
    entries = client.get("/api/audit", params={"user": "case_worker"}).json()["entries"]
    assert [e["detail"] for e in entries] == [{"offset": 0, "filters": {"village_code": "210381001001"}}]


def test_restoring_a_version_cannot_bring_back_a_duplicate_id_number(client):
    first = household(client, id_number=ID)
    path = f"/api/layers/households/features/{first['id']}"
    other = "210381198001011028"
    assert client.patch(path, json={"properties": {"id_number": other}}, headers={"If-Match": '"1"'}).status_code == 200
    household(client, head_name="李四", id_number=ID)  # the number is free again, and now taken
    response = client.post(f"{path}/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert response.status_code == 409
    assert response.json()["message"] == "该身份证号码已登记在另一户在册的困难群众户中"
    assert client.get(path).json()["properties"]["version"] == 2  # nothing changed


@pytest.mark.parametrize("kind, values", [
    ("name", ["张", "张三", "欧阳小明", ""]),
    ("phone", ["13812345678", "0412-3456789", "4123456", "84123456", "110", "1234", ""]),
    ("address", ["海城市海州管理区南关街12号", "南关社区3组", "海城", "海", ""]),
])
def test_masks_in_sql_and_in_python_agree(conn, kind, values):
    for value in values:
        in_sql = conn.execute(text("SELECT " + SQL_MASKS[kind].format(c="CAST(:v AS text)")), {"v": value}).scalar()
        assert in_sql == PYTHON_MASKS[kind](value), (kind, value)
        if len(value) >= 2:
            assert in_sql != value and len([c for c in in_sql if c != "*"]) <= len(value) // 2 + 2


def test_summary_by_village_suppresses_cells_below_five(client_as, client):
    admin_units(client, VILLAGE, OTHER_VILLAGE)  # 测试村001, 测试村002
    for i in range(6):
        household(client, village_code="210381001001", head_name=f"甲{i}")
    for i in range(3):
        household(client, village_code="210381001002", head_name=f"乙{i}")
    viewer = client_as("viewer")
    body = viewer.get("/api/layers/households/summary", params={"by": "village"}).json()
    rows = {r["code"]: r for r in body["rows"]}
    assert rows["210381001001"] == {"code": "210381001001", "name": "测试村001", "households": 6, "suppressed": False}
    assert rows["210381001002"] == {"code": "210381001002", "name": "测试村002", "households": None,
                                    "suppressed": True}
    assert viewer.get("/api/layers/households/summary", params={"by": "county"}).status_code == 422


def _refuses_rewrites_of_the_audit_log(connection, refusal: str) -> None:
    for statement in ("UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        savepoint = connection.begin_nested()
        try:
            connection.execute(text(statement))
            raise AssertionError(f"{statement} was allowed")
        except Exception as exc:  # noqa: BLE001
            assert refusal in str(exc)
        finally:
            savepoint.rollback()


def test_audit_log_refuses_update_delete_and_truncate(client, conn, database_urls):
    # the schema owner, who may, is stopped by the append-only triggers (first: its TRUNCATE would wait
    # for the test's transaction once that has written to the log)
    owner = create_engine(database_urls.owner)
    with owner.connect() as owner_conn, owner_conn.begin() as owner_transaction:
        owner_conn.execute(text("INSERT INTO audit_log (action) VALUES ('probe')"))
        _refuses_rewrites_of_the_audit_log(owner_conn, "append-only")
        owner_transaction.rollback()
    owner.dispose()
    # the service's role has no such privilege at all (tests/security/test_database_roles.py)
    household(client)
    _refuses_rewrites_of_the_audit_log(conn, "permission denied for table audit_log")
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'insert'")).scalar_one() == 1


def test_writes_are_audited_with_versions_reason_and_address(client):
    created = household(client)
    url = f"/api/layers/households/features/{created['id']}"
    client.patch(url, json={"properties": {"members": 3}}, params={"reason": "入户核查"}, headers={"If-Match": '"1"'})
    entries = client.get("/api/audit", params={"layer": "households", "action": "update"}).json()["entries"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["username"], entry["feature_id"], entry["old_version"], entry["new_version"], entry["reason"],
            entry["client_address"]) == ("admin_case", created["id"], 1, 2, "入户核查", "testclient")


def test_history_of_a_household_is_masked_and_hides_the_cipher(client_as, client):
    created = household(client, id_number=ID)
    url = f"/api/layers/households/features/{created['id']}"
    client.patch(url, json={"properties": {"phone": "13900001111"}}, headers={"If-Match": '"1"'})
    versions = client_as("case_worker").get(url + "/history").json()["versions"]
    assert [v["properties"]["head_name"] for v in versions] == ["张**", "张**"]
    assert [v["properties"]["phone"] for v in versions] == ["138****5678", "139****1111"]
    assert versions[1]["changed_fields"] == ["phone"]
    assert all("id_number_cipher" not in v["properties"] and "id_number_hash" not in v["properties"]
               for v in versions)
    assert "张三丰" not in client.get(url + "/history").text
