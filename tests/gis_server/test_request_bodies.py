"""Typed request bodies (issue 19 item 4): every JSON body has a schema in ``/openapi.json``, and a
body of the wrong shape is a Chinese 422 naming the field, with nothing stored. A caller without the
right gets the 403 first: the permission is a dependency, resolved before the body is looked at.
"""

from __future__ import annotations

from typing import Any

from gis_server.app import create_app
from gis_server.settings import Settings
from tests.utils.features import feature, point

# the 20 bodies that were ``Any`` or a bare dict, each now a named model, and those typed since (print,
# compliance notes, import field mappings)
TYPED = {
    ("post", "/api/layers/{layer}/features"): "FeatureBody",
    ("put", "/api/layers/{layer}/features/{feature_id}"): "FeatureBody",
    ("patch", "/api/layers/{layer}/features/{feature_id}"): "FeaturePatch",
    ("post", "/api/layers/{layer}/features/{feature_id}/restore"): "RestoreBody",
    ("post", "/api/siting/rule-sets"): "RuleSetBody",
    ("post", "/api/siting/rule-sets/{rule_set_id}/versions"): "RuleSetVersionBody",
    ("post", "/api/siting/check"): "SiteBody",
    ("post", "/api/siting/report.{fmt}"): "SiteBody",
    ("post", "/api/siting/candidates"): "CandidateBody",
    ("post", "/api/siting/candidates/{candidate_id}/status"): "CandidateStatusBody",
    ("put", "/api/siting/coverage/parameters/{scope}"): "SitingParametersBody",
    ("post", "/api/siting/graves/{grave_id}/status"): "GraveStatusBody",
    ("post", "/api/inspections/campaigns"): "CampaignBody",
    ("post", "/api/inspections/campaigns/{campaign_id}/status"): "CampaignStatusBody",
    ("post", "/api/inspections/campaigns/{campaign_id}/records"): "RecordBody",
    ("post", "/api/inspections/campaigns/{campaign_id}/findings"): "FindingBody",
    ("post", "/api/inspections/markers/{marker_id}/resurvey"): "ResurveyBody",
    ("post", "/api/coverage/suggest"): "SuggestRequest",
    ("put", "/api/coverage/parameters"): "NetworkParametersBody",
    ("post", "/api/coverage/child-welfare/officers"): "OfficerBody",
    ("post", "/api/print"): "PrintBody",
    ("post", "/api/compliance/findings/{finding_id}/acknowledge"): "NoteBody",
    ("post", "/api/compliance/findings/{finding_id}/resolve"): "NoteBody",
    ("put", "/api/layers/{layer}/import-mappings/{name}"): "FieldMapping",
}


def _openapi() -> dict[str, Any]:
    settings = Settings(environment="test", database_url="postgresql://unused@127.0.0.1:1/none", _env_file=None)
    return create_app(settings).openapi()


def test_every_body_has_a_schema() -> None:
    api = _openapi()
    models = api["components"]["schemas"]
    bodies = {}
    for path, operations in api["paths"].items():
        for method, operation in operations.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                bodies[(method, path, media)] = content["schema"]
    assert len(bodies) == 42
    assert [key for key, schema in bodies.items() if not {"$ref", "type"} & set(schema)] == []  # none is {}
    for (method, path), model in TYPED.items():
        schema = bodies[(method, path, "application/json")]
        assert schema["$ref"] == f"#/components/schemas/{model}", (method, path)
        assert models[model].get("properties") or models[model].get("additionalProperties"), model
    assert models["RestoreBody"]["required"] == ["version"]
    version = {"type": "integer", "minimum": 1, "title": "要恢复的版本号"}
    assert models["RestoreBody"]["properties"]["version"] == version
    assert set(models["RecordBody"]["required"]) == {"client_id", "marker_id"}
    assert models["NoteBody"]["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}],
                                                        "title": "说明"}
    assert models["FieldMapping"] == {"type": "object", "additionalProperties": {"type": "string"},
                                      "title": "字段对应关系",
                                      "description": models["FieldMapping"]["description"]}
    assert models["FieldMapping"]["description"].startswith("A file's columns to the layer's fields")


def _refused(response: Any, message: str, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == message
    assert [p["field"] for p in body["problems"]] == [field]


def test_a_bad_body_is_a_chinese_422_naming_the_field(client: Any, client_as: Any) -> None:
    shelter = feature(point(), name="场所", shelter_type="emergency")
    _refused(client.post("/api/layers/shelters/features", json={**shelter, "type": "FeatureCollection"}),
             "类型（type）只能是 'Feature'", "type")
    _refused(client.post("/api/layers/shelters/features/1/restore", json={"version": "2"}),
             "要恢复的版本号（version）应为整数", "version")
    _refused(client.post("/api/layers/shelters/features/1/restore", json={"version": 0}),
             "要恢复的版本号（version）应不小于 1", "version")
    assert client.get("/api/layers/shelters/features").json()["numberMatched"] == 0  # nothing stored
    _refused(client_as("funeral_planner").post("/api/siting/rule-sets/1/versions", json={"rules": []}),
             "所编辑的版本（based_on）为必填项", "based_on")
    _refused(client_as("boundary_surveyor").post("/api/inspections/campaigns",
                                                 json={"name": "联检", "yaer": 2025, "line_ids": [1]}),
             "yaer不是可接受的字段", "yaer")
    _refused(client_as("case_worker").post("/api/coverage/child-welfare/officers",
                                           json={"role": 1, "unit_code": "210381001001", "name": "张三"}),
             "角色（role）应为文本", "role")


def test_the_permission_comes_before_the_body(client_as: Any) -> None:
    viewer = client_as("viewer")
    refused = viewer.post("/api/siting/rule-sets/1/versions", json={"rules": "not a list"})
    assert (refused.status_code, refused.json()["message"]) == (403, "只有殡葬规划人员可以执行此操作")
    refused = viewer.post("/api/layers/shelters/features", json={"type": "nonsense"})
    assert (refused.status_code, refused.json()["message"]) == (403, "您无权修改图层“应急避难场所”")


def test_a_body_that_is_not_an_object(client: Any, client_as: Any) -> None:
    _refused(client.post("/api/layers/shelters/features", json=[1, 2]), "请求体（GeoJSON Feature）应为 JSON 对象",
             "body")
    _refused(client_as("funeral_planner").post("/api/siting/check", json="x"), "请求体应为 JSON 对象", "body")


def test_a_note_or_a_mapping_of_the_wrong_shape(client_as: Any) -> None:
    """Typed since issue 19: the note body and the import field mapping (refused before any row is read)."""
    planner = client_as("funeral_planner")
    _refused(planner.post("/api/compliance/findings/1/acknowledge", json={"note": 5}), "说明（note）应为文本", "note")
    _refused(planner.post("/api/compliance/findings/1/resolve", json={"notes": "x"}), "notes不是可接受的字段",
             "notes")
    _refused(planner.post("/api/compliance/findings/1/resolve", json=["x"]), "请求体应为 JSON 对象", "body")
    editor = client_as("admin")
    _refused(editor.put("/api/layers/shelters/import-mappings/m", json={"名称": 1}), "名称应为文本", "名称")
    _refused(editor.put("/api/layers/shelters/import-mappings/m", json=["name"]), "请求体（字段对应关系）应为对象",
             "body")
