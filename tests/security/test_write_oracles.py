"""Issue 13 part 4: the uniqueness checks of the write path must not be an oracle.

Replays: a bad field sent with a registered ID number (the answer was "duplicate" before the field
error, so an ID number could be rebuilt from its mask with requests that wrote nothing); a conflict
that named a household the caller may not read; unlimited, unaudited duplicate probing.
"""

from __future__ import annotations

from sqlalchemy import text

from gis_server.accounts import duplicate_hits
from gis_server.app import create_app
from layers.features import WriteContext
from layers.households import HOUSEHOLDS
from layers.privacy import id_check_character
from layers.roles import Actor
from layers.write_checks import readable_record
from tests.conftest import bearer
from tests.utils.database import RollbackDatabase
from tests.utils.features import feature, point
from tests.utils.write_strictness import VILLAGE, admin_units

ID = "21038119800101101X"  # valid GB 11643 check character
URL = "/api/layers/households/features"
GENERIC = "该身份证号码已登记在另一户在册的困难群众户中"


def _household(client, id_number=None, **props):
    body = {"head_name": "张三丰", "categories": ["dibao"], **props}
    if id_number:
        body["id_number"] = id_number
    return client.post(URL, json=feature(point(), **body))


def _id_for(birth: str, sequence: str = "101") -> str:
    first17 = "210381" + birth + sequence
    return first17 + id_check_character(first17)


def _audit(conn, action):
    return conn.execute(text("SELECT username, layer, detail::text FROM audit_log WHERE action = :a ORDER BY id"),
                        {"a": action}).all()


def _households(conn):
    return conn.execute(text("SELECT count(*) FROM households")).scalar_one()


def test_a_bad_field_with_a_registered_id_number_gets_the_field_error(client_as, client, conn):
    worker = client_as("case_worker")
    assert _household(worker, ID).status_code == 201
    for bad, message in (({"members": 2 ** 40}, "家庭人口（members）应不大于 50"),
                         ({"members": 0}, "家庭人口（members）应不小于 1"),
                         ({"members": "3"}, "家庭人口（members）应为整数"),
                         ({"has_child_under_14": 1}, "有14岁以下儿童（has_child_under_14）应为 true 或 false"),
                         ({"village_code": "210381999999"},
                          "所在村代码（village_code）“210381999999”不是在册的区划代码"),
                         ({"head_name": "   "}, "户主姓名（head_name）不能为空或只有空格")):
        response = _household(worker, ID, **bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["message"].startswith(message), response.json()["message"]
    assert _households(conn) == 1
    assert _audit(conn, duplicate_hits.HIT) == []


def test_reconstructing_an_id_number_from_its_mask_learns_nothing(client_as, conn):
    """The mask 210381********101X leaves the birth date; the attack tried each date with a body refused
    anyway (``members`` out of range): 36 requests, one of which answered "duplicate".
    """
    worker = client_as("case_worker")
    assert _household(worker, _id_for("19800101")).status_code == 201
    births = [f"1980{month:02d}{day:02d}" for month in (1, 2, 3) for day in range(1, 13)]
    answers = {(r.status_code, r.text) for r in (_household(worker, _id_for(b), members=-1) for b in births)}
    assert len(births) == 36 and len(answers) == 1  # the registered number's answer is the same as the others'
    status, body = answers.pop()
    assert status == 422 and "家庭人口（members）应不小于 1" in body
    assert _households(conn) == 1 and _audit(conn, duplicate_hits.HIT) == []


def test_a_stale_or_missing_record_is_refused_before_the_uniqueness_check(client_as, conn):
    worker = client_as("case_worker")
    assert _household(worker, ID).status_code == 201
    other = _household(worker).json()
    body = {"properties": {"id_number": ID}}
    stale = worker.patch(f"{URL}/{other['id']}", json=body, headers={"If-Match": '"7"'})
    assert stale.status_code == 412 and "当前为第 1 版" in stale.json()["message"]
    missing = worker.patch(f"{URL}/999999", json=body, headers={"If-Match": '"1"'})
    assert missing.status_code == 404
    assert _audit(conn, duplicate_hits.HIT) == []


def test_a_case_worker_is_told_which_household_has_the_number(client_as):
    worker = client_as("case_worker")
    first = _household(worker, ID).json()
    response = _household(worker, ID, head_name="李四")
    assert response.status_code == 409
    assert response.json()["message"] == f"该身份证号码已登记在编号 {first['id']} 的困难群众户中"
    assert response.json()["existing_id"] == first["id"]


def test_admin_is_not_told_whether_an_id_number_is_registered(client_as):
    worker = client_as("case_worker")
    child = _household(worker, ID, has_child_under_14=True).json()
    admin = client_as("admin")
    assert admin.get(f"{URL}/{child['id']}").status_code == 403  # an admin reads no household (issue 14)
    response = _household(admin, ID, head_name="李四")
    assert response.status_code == 403  # refused before any check of the number: nothing to learn
    assert str(child["id"]) not in response.text and "身份证" not in response.json()["message"]


def test_a_conflict_names_no_record_to_a_caller_who_cannot_read_the_layer(conn, client):
    first = _household(client, ID).json()
    ctx = WriteContext(conn, None, actor=Actor("viewer", frozenset({"viewer"})))
    assert readable_record(conn, HOUSEHOLDS, ctx, first["id"]) is None
    worker = WriteContext(conn, None, actor=Actor("case_worker", frozenset({"case_worker"})))
    assert readable_record(conn, HOUSEHOLDS, worker, first["id"]) == f"编号 {first['id']}"  # never the name


def test_duplicate_hits_are_audited_and_limited_across_processes(settings, conn, client_as):
    assert (settings.duplicate_hits_max, settings.duplicate_hits_window_seconds) == (10, 3600)
    worker = client_as("case_worker")
    assert _household(worker, ID).status_code == 201
    for _ in range(10):
        assert _household(worker, ID).status_code == 409
    hits = _audit(conn, duplicate_hits.HIT)
    assert len(hits) == 10
    assert hits[0] == ("case_worker", "households", '{"field": "id_number"}')  # never the number itself
    assert all(ID not in str(row) for row in hits)
    # another process: a new app on the same database sees the same count
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings, database=RollbackDatabase(conn)), raise_server_exceptions=False) as other:
        other.headers.update(bearer(settings, "case_worker"))
        fresh = _household(other, _id_for("19900202"))  # not registered: the answer must not tell
        assert fresh.status_code == 429
        assert fresh.json()["message"].startswith("重复校验命中次数过多（60 分钟内 10 次）")
        assert 3500 <= int(fresh.headers["Retry-After"]) <= 3600
        assert _household(other, ID).status_code == 429
        assert _household(other, None).status_code == 201  # no uniqueness check: not limited
    assert len(_audit(conn, duplicate_hits.REFUSED)) == 2
    assert len(_audit(conn, duplicate_hits.HIT)) == 10  # refusals do not extend it
    other_account = client_as("admin_case")  # the limit is per account
    assert other_account.post(URL, json=feature(point(), head_name="王五", categories=["dibao"],
                                                id_number=_id_for("19900202"))).status_code == 201


def _past_hits(conn, count, minutes_ago):
    conn.execute(text("INSERT INTO audit_log (username, action, layer, at) SELECT 'case_worker', :a, 'households', "
                      "now() - make_interval(mins => :m) FROM generate_series(1, :n)"),
                 {"a": duplicate_hits.HIT, "m": minutes_ago, "n": count})


def test_hits_outside_the_window_do_not_count(client_as, conn):
    worker = client_as("case_worker")
    _past_hits(conn, 10, minutes_ago=61)
    assert _household(worker, _id_for("19900202")).status_code == 201
    _past_hits(conn, 9, minutes_ago=20)
    assert _household(worker, _id_for("19900303")).status_code == 201  # 9 within the hour
    _past_hits(conn, 1, minutes_ago=50)
    refused = _household(worker, _id_for("19900404"))
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"  # the 10th-newest leaves then


def test_natural_key_hits_count_too_and_name_the_readable_record(client_as, conn):
    worker = client_as("case_worker")
    admin_units(client_as("admin"))
    body = feature(point(), name="一号幸福院", facility_type="happiness_home", village_code=VILLAGE)
    first = worker.post("/api/layers/care_facilities/features", json=body).json()
    response = worker.post("/api/layers/care_facilities/features", json=body)
    assert response.status_code == 409
    assert response.json()["message"] == ("养老与福利设施中已有名称“一号幸福院”相同的在册记录："
                                          f"编号 {first['id']}“一号幸福院”，请改用其他值或修改已有记录")
    assert response.json()["existing_id"] == first["id"]
    assert _audit(conn, duplicate_hits.HIT) == [("case_worker", "care_facilities", '{"field": "name"}')]
    entries = client_as("admin").get("/api/audit", params={"action": "duplicate_hit"}).json()["entries"]
    assert [(e["username"], e["action_title"]) for e in entries] == [("case_worker", "唯一性校验命中（重复）")]
