"""Issue 13 part 7: what a write may store. Replays: NaN stored in a shelter's area broke
``/api/coverage/shelters`` for every user; 1e400 stored as Infinity; a 30 MB name; ten shelters with
one name; booleans given as numbers; village and township codes that do not exist.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from tests.utils.features import CITY, feature, point, shelter
from tests.utils.write_strictness import TOWNSHIP, VILLAGE, admin_units

SHELTERS = "/api/layers/shelters/features"


def _raw(client, url, body: str, method: str = "post", **kw):
    return client.request(method.upper(), url, content=body.encode(), headers={"Content-Type": "application/json",
                                                                               **kw.pop("headers", {})}, **kw)


def _count(conn, table="shelters"):
    return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("literal,shown", [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"),
                                           ("1e400", "Infinity"), ("-1e400", "-Infinity")])
def test_non_finite_numbers_are_refused_in_properties(client, conn, literal, shown):
    body = ('{"type": "Feature", "geometry": {"type": "Point", "coordinates": [122.69, 40.88]}, '
            f'"properties": {{"name": "甲", "shelter_type": "emergency", "usable_area_m2": {literal}}}}}')
    response = _raw(client, SHELTERS, body)
    assert response.status_code == 422
    assert response.json()["message"] == (f"请求体.properties.usable_area_m2 的值 {shown} 不是有限数值："
                                          "不接受 NaN、Infinity 或超出范围的数（如 1e400）")
    assert _count(conn) == 0


def test_non_finite_numbers_are_refused_in_any_json_body(client):
    """Not only the feature API: the reader accepts NaN for every route (here a siting check)."""
    body = '{"geometry": {"type": "Point", "coordinates": [122.7, 40.8]}, "buffer_m": -Infinity}'
    response = _raw(client, "/api/siting/check", body)
    assert response.status_code == 422
    assert response.json()["message"].startswith("请求体.buffer_m 的值 -Infinity 不是有限数值")
    finite = _raw(client, "/api/siting/check", '{"note": "1e400 NaN in a text", "n": 2e300}')
    assert "不是有限数值" not in finite.text  # large but finite, and literals inside texts, are the route's business


def test_the_schema_refuses_non_finite_numbers_for_callers_without_http():
    from layers.catalog import registry
    from layers.errors import InvalidInput
    from layers.schemas import validate_properties

    with pytest.raises(InvalidInput) as refused:
        validate_properties(registry().get("shelters"), {"name": "甲", "shelter_type": "emergency",
                                                          "usable_area_m2": float("nan")}, partial=False)
    assert refused.value.message.startswith("有效避难面积（usable_area_m2） 的值 NaN 不是有限数值")


def test_non_finite_numbers_are_refused_in_geometry_and_nested_values(client, conn):
    body = '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [122.69, NaN]}, ' \
           '"properties": {"name": "甲", "shelter_type": "emergency"}}'
    response = _raw(client, SHELTERS, body)
    assert response.status_code == 422 and "请求体.geometry.coordinates[1] 的值 NaN" in response.json()["message"]
    line = client.post("/api/layers/boundary_lines/features", json=feature(
        {"type": "LineString", "coordinates": [[122.4, 40.6], [122.5, 40.7]]}, name="界线", line_level="county",
        side_a="甲", side_b="乙")).json()
    marker = json.dumps(feature(point(), line_id=line["id"], number="001", marker_type="single"))
    marker = marker.replace('"marker_type"',
                            '"reference_objects": [{"name": "井", "distance_m": 1e400}], "marker_type"')
    response = _raw(client, "/api/layers/boundary_markers/features", marker)
    assert response.status_code == 422
    assert "请求体.properties.reference_objects[0].distance_m 的值 Infinity" in response.json()["message"]
    assert _count(conn) == 0 and _count(conn, "boundary_markers") == 0


def test_a_patch_with_nan_changes_nothing(client):
    created = shelter(client, usable_area_m2=3000.0)
    url = f"{SHELTERS}/{created['id']}"
    response = _raw(client, url, '{"properties": {"usable_area_m2": NaN}}', method="patch", headers={"If-Match": '"1"'})
    assert response.status_code == 422
    assert client.get(url).json()["properties"]["usable_area_m2"] == 3000.0


def test_texts_have_a_maximum_length_shown_in_the_layer_schema(client, conn):
    fields = {f["name"]: f for f in client.get("/api/layers/shelters").json()["fields"]}
    assert (fields["name"]["max_length"], fields["address"]["max_length"], fields["shelter_class"]["max_length"]) == (
        100, 2000, 4)
    assert shelter(client, name="名" * 100)["properties"]["name"] == "名" * 100
    response = client.post(SHELTERS, json=feature(point(), name="名" * 101, shelter_type="emergency"))
    assert response.status_code == 422 and response.json()["message"] == "名称（name）太长（最多 100 个字）"
    response = client.post(SHELTERS, json=feature(point(), name="乙", shelter_type="emergency",
                                                  address="路" * 2001))
    assert response.status_code == 422 and response.json()["message"] == "地址（address）太长（最多 2000 个字）"
    response = client.post(SHELTERS, json=feature(point(), name="名" * 1_000_000, shelter_type="emergency"))
    assert response.status_code == 422 and len(response.content) < 1000  # the text is not echoed
    assert _count(conn) == 1


def test_a_huge_unknown_key_is_not_echoed(client):
    key = "k" * 100_000
    for value in ("x", float("nan")):
        body = json.dumps(feature(point(), name="甲", shelter_type="emergency", **{key: value}))
        response = _raw(client, SHELTERS, body)
        assert response.status_code == 422 and len(response.content) < 2000
    assert response.json()["message"].startswith("请求体.properties." + "k" * 60)


def test_blank_required_texts_are_refused(client):
    for blank in ("", "   ", "\t\n"):
        response = client.post(SHELTERS, json=feature(point(), name=blank, shelter_type="emergency"))
        assert response.status_code == 422 and response.json()["message"] == "名称（name）不能为空或只有空格"


def test_numeric_domains_declared_in_the_models(client, client_as):
    fields = {f["name"]: f for f in client.get("/api/layers/shelters").json()["fields"]}
    assert (fields["capacity"]["minimum"], fields["usable_area_m2"]["minimum"],
            fields["service_radius_m"]["maximum"]) == (0, 0, 100_000)
    household_fields = {f["name"]: f for f in client_as("case_worker").get("/api/layers/households").json()["fields"]}
    assert (household_fields["members"]["minimum"], household_fields["members"]["maximum"]) == (1, 50)
    for props, message in (({"capacity": -1}, "容纳人数（capacity）应不小于 0"),
                           ({"usable_area_m2": -0.5}, "有效避难面积（usable_area_m2）应不小于 0"),
                           ({"service_radius_m": 100_000.5}, "服务半径（service_radius_m）应不大于 100000"),
                           ({"capacity": 2 ** 31}, "容纳人数（capacity）应不大于 2147483647")):
        response = client.post(SHELTERS, json=feature(point(), name="甲", shelter_type="emergency", **props))
        assert response.status_code == 422 and response.json()["message"] == message, response.text
    graves = client.post("/api/layers/scattered_graves/features", json=feature(point(), grave_count=0))
    assert graves.status_code == 422 and graves.json()["message"] == "坟数（grave_count）应不小于 1"


def test_booleans_numbers_and_dates_are_strict(client, client_as):
    worker = client_as("case_worker")
    for value in (1, 0, "true", "yes"):
        response = worker.post("/api/layers/households/features", json=feature(
            point(), head_name="张三", categories=["dibao"], has_child_under_14=value))
        assert response.status_code == 422
        assert response.json()["message"] == ("有14岁以下儿童（has_child_under_14）"
                                              "应为 true 或 false（不能用数字或文本表示是/否）")
    for props, message in (({"capacity": True}, "容纳人数（capacity）应为整数"),
                           ({"capacity": "5"}, "容纳人数（capacity）应为整数"),
                           ({"capacity": 5.5}, "容纳人数（capacity）应为整数"),
                           ({"usable_area_m2": "5"}, "有效避难面积（usable_area_m2）应为数值"),
                           ({"usable_area_m2": False}, "有效避难面积（usable_area_m2）应为数值"),
                           ({"address": 5}, "地址（address）应为文本")):
        response = client.post(SHELTERS, json=feature(point(), name="甲", shelter_type="emergency", **props))
        assert response.status_code == 422 and response.json()["message"].startswith(message), response.text
    line = feature({"type": "LineString", "coordinates": [[122.4, 40.6], [122.5, 40.7]]}, name="界线",
                   line_level="county", side_a="甲", side_b="乙", last_inspection_date=0)
    response = client.post("/api/layers/boundary_lines/features", json=line)
    assert response.status_code == 422
    assert response.json()["message"] == "上次联检日期（last_inspection_date）应为日期（YYYY-MM-DD）"
    assert shelter(client, capacity=5, usable_area_m2=7)["properties"]["usable_area_m2"] == 7.0  # an int is a number


def test_codes_must_name_live_admin_units(client, conn):
    response = client.post(SHELTERS, json=feature(point(), name="甲", shelter_type="emergency",
                                                  village_code=VILLAGE))
    assert response.status_code == 422
    assert response.json()["message"] == "所在村代码（village_code）“210381001001”不是在册的区划代码，请核对后填写"
    village = client.post("/api/layers/villages/features", json=feature(
        {"type": "Polygon", "coordinates": [[[122.6, 40.8], [122.7, 40.8], [122.7, 40.9], [122.6, 40.8]]]},
        code=VILLAGE, name="甲村", township_code=TOWNSHIP))
    assert village.status_code == 422 and "所属乡镇代码（township_code）“210381001”" in village.json()["message"]
    units = admin_units(client)
    assert shelter(client, village_code=VILLAGE)["properties"]["village_code"] == VILLAGE
    care = client.post("/api/layers/care_facilities/features", json=feature(
        point(), name="乙", facility_type="nursing_home", township_code="210381999"))
    assert care.status_code == 422 and care.json()["field"] == "township_code"
    retired = client.delete(f"/api/layers/villages/features/{units[VILLAGE]['id']}", headers={"If-Match": '"1"'})
    assert retired.status_code == 204
    response = client.post(SHELTERS, json=feature(point(), name="丙", shelter_type="emergency", village_code=VILLAGE))
    assert response.status_code == 422
    assert _count(conn) == 1


def test_ten_shelters_with_one_name_are_one(client, conn):
    first = shelter(client, name="人民广场避难场所")
    answers = [client.post(SHELTERS, json=feature(point(CITY[0] + i * 0.001), name="人民广场避难场所",
                                                  shelter_type="fixed")) for i in range(1, 10)]
    assert {r.status_code for r in answers} == {409}
    assert answers[0].json()["message"] == ("应急避难场所中已有名称“人民广场避难场所”相同的在册记录："
                                            f"编号 {first['id']}“人民广场避难场所”，请改用其他值或修改已有记录")
    assert _count(conn) == 1


def test_a_rename_or_restore_onto_a_live_name_is_refused(client):
    first = shelter(client, name="人民广场避难场所")
    other = shelter(client, name="二号")
    renamed = client.patch(f"{SHELTERS}/{other['id']}", json={"properties": {"name": "人民广场避难场所"}},
                           headers={"If-Match": '"1"'})
    assert renamed.status_code == 409
    # a retired record frees its name; restoring it while the name is taken is refused by the database
    assert client.delete(f"{SHELTERS}/{first['id']}", headers={"If-Match": '"1"'}).status_code == 204
    again = shelter(client, name="人民广场避难场所")
    restored = client.post(f"{SHELTERS}/{first['id']}/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert restored.status_code == 409 and "与已有记录重复" in restored.json()["message"]
    assert again["properties"]["name"] == "人民广场避难场所"


@pytest.mark.parametrize("statement", [
    "INSERT INTO shelters (name, shelter_type, usable_area_m2, geom) VALUES ('甲', 'fixed', 'NaN', {g})",
    "INSERT INTO shelters (name, shelter_type, usable_area_m2, geom) VALUES ('甲', 'fixed', 'Infinity', {g})",
    "INSERT INTO shelters (name, shelter_type, service_radius_m, geom) VALUES ('甲', 'fixed', '-Infinity', {g})",
    "INSERT INTO shelters (name, shelter_type, capacity, geom) VALUES ('甲', 'fixed', -1, {g})",
    "INSERT INTO households (head_name, categories, members, geom) VALUES ('甲', '{{dibao}}', 0, {g})",
    "INSERT INTO shelters (name, shelter_type, geom) VALUES ('同名', 'fixed', {g}), ('同名', 'fixed', {g})",
])
def test_sql_writes_are_stopped_by_the_database(conn, statement):
    savepoint = conn.begin_nested()
    with pytest.raises(IntegrityError):
        conn.execute(text(statement.format(g="ST_SetSRID(ST_MakePoint(122.69, 40.88), 4490)")))
    savepoint.rollback()


def test_coverage_of_shelters_survives_every_refused_value(client, conn):
    admin_units(client)
    shelter(client, name="甲", usable_area_m2=1500.0, village_code=VILLAGE)
    for literal in ("NaN", "Infinity", "1e400"):
        body = ('{"type": "Feature", "geometry": {"type": "Point", "coordinates": [122.7, 40.89]}, '
                f'"properties": {{"name": "乙", "shelter_type": "emergency", "usable_area_m2": {literal}}}}}')
        assert _raw(client, SHELTERS, body).status_code == 422
    response = client.get("/api/coverage/shelters")
    assert response.status_code == 200
    assert [(r["name"], r["capacity"]) for r in response.json()["rows"]] == [("甲", 1000)]


def _migrate(conn, to: str) -> None:
    from alembic import command

    from gis_server.migrate import alembic_config

    config = alembic_config(connection=conn)  # inside the test's transaction: rolled back with it
    (command.downgrade if to == "0012" else command.upgrade)(config, to)


SQL_SHELTER = "INSERT INTO shelters (name, shelter_type, usable_area_m2, source, geom) VALUES " \
              "(:n, 'fixed', CAST(:a AS float), :s, ST_SetSRID(ST_MakePoint(122.69, 40.88), 4490)) RETURNING id"


@pytest.fixture
def owner_conn(database_urls):
    """The schema owner's connection (migrations run as the owner), in a transaction rolled back after."""
    engine = create_engine(database_urls.owner)
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    engine.dispose()


def test_the_upgrade_repairs_stored_values_and_tells_demo_duplicates_apart(owner_conn):
    conn = owner_conn
    _migrate(conn, "0012")
    broken = conn.execute(text(SQL_SHELTER), {"n": "甲", "a": "NaN", "s": "user"}).scalar_one()
    demo = [conn.execute(text(SQL_SHELTER), {"n": "乙", "a": "10", "s": "demo"}).scalar_one() for _ in range(2)]
    _migrate(conn, "0016")
    rows = dict(conn.execute(text("SELECT id, coalesce(usable_area_m2::text, name) FROM shelters")).all())
    assert rows == {broken: "甲", demo[0]: "10", demo[1]: "10"}
    names = conn.execute(text("SELECT name FROM shelters WHERE id = ANY(:ids) ORDER BY id"), {"ids": demo}).scalars()
    assert list(names) == ["乙", f"乙（编号 {demo[1]}）"]


def test_the_upgrade_stops_at_duplicates_entered_by_people(owner_conn):
    conn = owner_conn
    _migrate(conn, "0012")
    ids = [conn.execute(text(SQL_SHELTER), {"n": "丙", "a": "-1", "s": "user"}).scalar_one() for _ in range(2)]
    with pytest.raises(RuntimeError) as stopped:
        _migrate(conn, "0016")
    assert str(stopped.value) == (f"请先更正以下记录再升级：shelters 中以下在册记录的 name 相同：{ids[0]}、{ids[1]}；"
                                  f"shelters.usable_area_m2 超出取值范围（\"usable_area_m2\" >= 0 AND "
                                  f"\"usable_area_m2\" < 'Infinity'）：{ids[0]}、{ids[1]}")
