"""Listed features are the masked GeoJSON texts kept for each row in ``listed_features``, written by a
trigger on every write — by the API or straight in SQL (QGIS) — and gone with a deleted row."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from layers.catalog import registry
from layers.features import feature_sql
from layers.listed import function_name, rebuild, trigger_body, trigger_name
from layers.masks import output_masks
from tests.utils.features import feature, point, shelter


@pytest.mark.parametrize("spec", list(registry()), ids=lambda spec: spec.name)
def test_the_database_trigger_builds_what_the_models_say(conn, spec):
    """Fails when fields or masks change without a migration re-creating the trigger functions
    (``layers.listed.install_sql`` writes them)."""
    body, settings = conn.execute(text("SELECT prosrc, proconfig FROM pg_proc WHERE proname = :name"),
                                  {"name": function_name(spec)}).one()
    assert body == trigger_body(spec)
    assert settings == ["TimeZone=UTC"]
    triggers = conn.execute(text("SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger "
                                 "WHERE tgname LIKE :name ORDER BY tgname"), {"name": trigger_name(spec) + "%"}).all()
    table = spec.table.name
    transitions = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   "delete": "OLD TABLE AS old_rows"}
    assert triggers == [(f"{table}_listed_{event}", "O",
                         f"CREATE TRIGGER {table}_listed_{event} AFTER {event.upper()} ON public.{table} "
                         f"REFERENCING {transitions[event]} FOR EACH STATEMENT "
                         f"EXECUTE FUNCTION {function_name(spec)}()")
                        for event in ("delete", "insert", "update")]


def test_every_stored_text_is_what_the_models_build_now(client, conn):
    _household(client)
    shelter(client, name="文本核对")
    checked = 0
    for spec in registry():
        built = feature_sql(spec, "t", output_masks(spec))
        rows = conn.execute(text(f"SELECT l.feature = {built} FROM {spec.table.name} t "
                                 f"JOIN listed_features l ON l.layer = :layer AND l.id = t.id"),
                            {"layer": spec.name}).scalars().all()
        assert all(rows), spec.name
        checked += len(rows)
    assert checked == 2


def test_rows_loaded_with_triggers_off_are_listed_masked_and_rebuilt(client, conn, database_urls):
    # a bulk load without triggers: only a superuser may switch them off (the app role may not,
    # tests/security/test_database_roles.py), so the row is committed from the superuser's connection
    loader = create_engine(database_urls.admin)
    with loader.begin() as load:
        load.execute(text("SET LOCAL session_replication_role = replica"))
        feature_id = load.execute(text(
            "INSERT INTO households (head_name, categories, phone, geom) VALUES "
            "('赵六', '{dibao}', '13700001234', ST_SetSRID(ST_Point(122.69, 40.88), 4490)) RETURNING id")).scalar_one()
    try:
        listed = _listed(client, "households", feature_id)
        assert listed["properties"]["head_name"] == "赵*" and listed["properties"]["phone"] == "137****1234"
        exported = client.get("/api/layers/households/export", params={"format": "csv"})
        assert exported.status_code == 200 and "赵*" in exported.text
        assert rebuild(conn, [registry().get("households")]) == {"households": 1}
        assert listed == _listed(client, "households", feature_id)
    finally:
        with loader.begin() as load:  # the shared test database stays empty
            load.execute(text("SET LOCAL session_replication_role = replica"))
            load.execute(text("DELETE FROM households WHERE id = :i"), {"i": feature_id})
        loader.dispose()


def _household(client, **props):
    body = {"head_name": "张三丰", "categories": ["dibao"], "phone": "13812345678",
            "address": "海城市海州街道某路8号", **props}
    response = client.post("/api/layers/households/features", json=feature(point(), **body))
    assert response.status_code == 201, response.text
    return response.json()


def _listed(client, layer, feature_id):
    body = client.get(f"/api/layers/{layer}/features").json()
    return next((f for f in body["features"] if f["id"] == feature_id), None)


def test_a_listed_household_is_masked_and_the_same_as_read_alone(client):
    created = _household(client)
    listed = _listed(client, "households", created["id"])
    assert listed["properties"]["head_name"] == "张**"
    assert listed["properties"]["phone"] == "138****5678"
    assert listed["properties"]["address"] == "海城市海州****"  # 11 characters: at most half shown
    assert listed == client.get(f"/api/layers/households/features/{created['id']}").json()


def test_an_edit_made_in_sql_is_listed_with_its_new_version(client, conn):
    created = _household(client, head_name="王")
    assert _listed(client, "households", created["id"])["properties"]["head_name"] == "*"  # one character
    conn.execute(text("SET LOCAL TimeZone = 'Asia/Shanghai'"))  # as a desktop GIS in Beijing might
    conn.execute(text("UPDATE households SET phone = '13900001111' WHERE id = :id"), {"id": created["id"]})
    conn.execute(text("SET LOCAL TimeZone = 'UTC'"))  # as the app's sessions run
    listed = _listed(client, "households", created["id"])
    assert listed["properties"]["phone"] == "139****1111"
    assert listed["properties"]["version"] == 2
    assert listed == client.get(f"/api/layers/households/features/{created['id']}").json()


def test_edits_through_the_api_are_listed_and_a_deleted_row_leaves_nothing_behind(client, conn):
    created = shelter(client, name="旧名")
    client.patch(f"/api/layers/shelters/features/{created['id']}", json={"properties": {"name": "新名"}},
                 headers={"If-Match": '"1"'})
    assert _listed(client, "shelters", created["id"])["properties"]["name"] == "新名"
    conn.execute(text("DELETE FROM shelters WHERE id = :id"), {"id": created["id"]})
    assert _listed(client, "shelters", created["id"]) is None
    left = conn.execute(text("SELECT count(*) FROM listed_features WHERE layer = 'shelters' AND id = :id"),
                        {"id": created["id"]}).scalar_one()
    assert left == 0
