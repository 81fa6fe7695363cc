"""Values of the wrong JSON type anywhere in a request body get a 422 naming the field — never a 500 —
and a failed request leaves nothing behind (found by an API review: each case here was a 500 once)."""

from __future__ import annotations

import hashlib

import pytest

from tests.utils.features import create, feature, line, point

SQUARE = {"type": "Polygon", "coordinates": [[[122.69, 40.88], [122.691, 40.88], [122.691, 40.881],
                                              [122.69, 40.881], [122.69, 40.88]]]}
RULE = {"constraint": "road", "class": "county", "distance_m": 300, "basis": "x"}


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "/api/layers/households/features",
     {**feature(point(), head_name="张三", categories=["dibao"]), "crs": {"properties": [1]}}, "crs"),
    ("post", "/api/layers/shelters/features", {**feature(point(), name="甲", shelter_type="emergency"), "crs": 4550},
     "crs"),
    ("post", "/api/coverage/suggest", {"facility_type": 1, "k": 3}, "facility_type"),
    ("post", "/api/coverage/suggest", {"facility_type": "happiness_home", "category": True, "k": 3}, "category"),
    ("post", "/api/coverage/child-welfare/officers", {"role": [], "unit_code": "210381001001", "name": "x"}, "role"),
    ("post", "/api/siting/candidates", {"geometry": SQUARE, "name": "甲", "village_code": 5}, "village_code"),
    ("post", "/api/siting/candidates", {"geometry": SQUARE, "name": "甲", "note": {}}, "note"),
    ("post", "/api/siting/rule-sets", {"name": "x", "rules": [{**RULE, "constraint": []}]}, "constraint"),
    ("post", "/api/siting/rule-sets", {"name": "x", "rules": [{**RULE, "class": {}}]}, "class"),
    ("post", "/api/inspections/markers/1/resurvey", {"record_id": True, "document": "d"}, "record_id"),
    ("post", "/api/inspections/markers/1/resurvey", {"record_id": 1, "document": "d", "survey_method": []},
     "survey_method"),
])
def test_a_value_of_the_wrong_type_is_a_422_naming_it(client, method, path, body, field):
    response = getattr(client, method)(path, json=body, headers={"If-Match": '"1"'})
    assert response.status_code == 422, response.text
    assert response.json()["message"]
    if field:
        assert response.json()["field"] == field


def test_an_object_where_text_belongs_is_a_422_even_where_nothing_checks_it(client):
    # the campaign's free-text "trigger" goes to the database as it comes: the driver cannot send an object
    line_id = create(client, "boundary_lines", line((122.6, 40.9), (122.7, 40.9)), name="甲乙线",
                     line_level="township", side_a="甲镇", side_b="乙镇")["id"]
    before = client.get("/api/inspections/campaigns").json()
    response = client.post("/api/inspections/campaigns", json={"name": "2026 年联检", "year": 2026,
                                                                "line_ids": [line_id], "trigger": {"a": 1}})
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "起因（trigger）应为文本"  # the typed body names it (issue 19)
    assert client.get("/api/inspections/campaigns").json() == before


def test_a_broken_upload_gets_a_chinese_message(client):
    response = client.post("/api/place-names/import", content=b"abc",
                           headers={"Content-Type": "multipart/form-data"})
    assert response.status_code == 400
    assert response.json()["message"] == "请求格式不正确（例如上传的文件不完整）"


def test_a_photo_for_a_record_that_does_not_exist_is_not_kept(client):
    content = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    sha = hashlib.sha256(content).hexdigest()
    response = client.post("/api/inspections/records/999999/photos", data={"sha256": sha},
                           files={"file": ("p.png", content, "image/png")})
    assert response.status_code == 404
    assert client.get(f"/api/inspections/uploads/{sha}").json() == {"sha256": sha, "offset": 0, "complete": False}
