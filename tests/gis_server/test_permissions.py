"""Every role against every layer: who may read, who may write (from the registry)."""

from __future__ import annotations

import pytest

from layers.catalog import registry
from layers.roles import ALL_ROLES
from tests.utils.features import feature, line, point, square

GEOMETRY = {"Point": point(), "MultiLineString": line((122.6, 40.8), (122.7, 40.8)),
            "MultiPolygon": square(122.6, 40.8), "Geometry": point()}

EXPECTED_WRITERS = {
    "townships": {"admin"}, "villages": {"admin"},
    "place_names": {"admin", "place_names_editor"}, "place_name_signs": {"admin", "place_names_editor"},
    "boundary_lines": {"admin", "boundary_surveyor"}, "boundary_markers": {"admin", "boundary_surveyor"},
    "shelters": {"admin"}, "care_facilities": {"admin", "case_worker"},
    "community_service_centers": {"admin", "case_worker"},
    "cemeteries": {"admin", "funeral_planner"}, "scattered_graves": {"admin", "funeral_planner"},
    "households": {"case_worker"},  # an admin only with the case office (issue 14)
    **{name: {"admin", "funeral_planner"} for name in (
        "roads", "railways", "rivers", "basic_farmland", "urban_planning_zones", "scenic_areas", "nature_reserves",
        "water_source_zones", "heritage_sites", "cultivated_land", "forest_land", "urban_parks")},
}
PERSONAL_LAYERS = {"households"}
CASE_OFFICE = {"case_worker"}


def test_registry_matches_the_expected_permission_table():
    for spec in registry():
        assert {r for r in ALL_ROLES if spec.can_write({r})} == EXPECTED_WRITERS[spec.name], spec.name
        readers = {r for r in ALL_ROLES if spec.can_read({r})}
        assert readers == (CASE_OFFICE if spec.name in PERSONAL_LAYERS else ALL_ROLES), spec.name


@pytest.mark.parametrize("role", sorted(ALL_ROLES))
def test_each_role_reads_exactly_its_layers(client_as, role):
    c = client_as(role)
    listed = {layer["name"]: layer["permissions"] for layer in c.get("/api/layers").json()}
    for spec in registry():
        may_read = spec.name not in PERSONAL_LAYERS or role in CASE_OFFICE
        assert listed[spec.name]["read"] is may_read
        assert listed[spec.name]["write"] is (role in EXPECTED_WRITERS[spec.name])
        status = c.get(f"/api/layers/{spec.name}/features").status_code
        assert status == (200 if may_read else 403), (role, spec.name)


@pytest.mark.parametrize("role", sorted(ALL_ROLES))
def test_each_role_writes_exactly_its_layers(client_as, client, role):
    """POST, PATCH, PUT, DELETE and restore on every layer: 403 unless the registry allows it."""
    from tests.utils.layer_samples import sample_properties

    c = client_as(role)
    for spec in registry():
        geometry = GEOMETRY[spec.geometry_type]
        props = sample_properties(client, spec.name)
        existing = client.post(f"/api/layers/{spec.name}/features", json=feature(geometry, **props))
        assert existing.status_code == 201, (spec.name, existing.text)
        url = f"/api/layers/{spec.name}/features/{existing.json()['id']}"
        allowed = role in EXPECTED_WRITERS[spec.name]
        attempts = {
            "post": c.post(f"/api/layers/{spec.name}/features", json=feature(geometry, **sample_properties(
                client, spec.name, unique="b"))),
            "patch": c.patch(url, json={"geometry": geometry}, headers={"If-Match": '"1"'}),
            "put": c.put(url, json=feature(geometry, **props), headers={"If-Match": '"1"' if not allowed else '"2"'}),
            "restore": c.post(url + "/restore", json={"version": 1}, headers={"If-Match": '"1"' if not allowed
                                                                             else '"3"'}),
            "delete": c.delete(url, headers={"If-Match": '"1"' if not allowed else '"4"'}),
        }
        for verb, response in attempts.items():
            expected = {"post": 201, "patch": 200, "put": 200, "restore": 200, "delete": 204}[verb] if allowed else 403
            assert response.status_code == expected, (role, spec.name, verb, response.text)
        if not allowed:  # nothing changed
            assert client.get(url).headers["etag"] == '"1"'


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_no_household_feature_by_any_path_outside_the_case_office(client_as, client, role):
    """Issue 14: the admin administers accounts; it reads no exact household location and reveals none unless
    it also holds the case office (as ``client`` does: admin + case_worker)."""
    created = client.post("/api/layers/households/features",
                          json=feature(point(122.7123, 40.8456), head_name="张三", categories=["dibao"])).json()
    other = client_as(role)
    assert other.get("/api/layers/households/features").status_code == 403
    assert other.get(f"/api/layers/households/features/{created['id']}").status_code == 403
    assert other.get(f"/api/layers/households/features/{created['id']}", params={"reveal": "true"}).status_code == 403
    assert other.get(f"/api/layers/households/features/{created['id']}/history").status_code == 403
    assert other.get("/api/layers/households/export", params={"format": "csv"}).status_code == 403
    assert other.get("/tiles/households/14/13779/6150.pbf").status_code == 403
    assert "张" not in other.get("/api/layers").text and "40.8456" not in other.get("/api/layers").text
    revealed = client.get(f"/api/layers/households/features/{created['id']}", params={"reveal": "true"}).json()
    assert (revealed["properties"]["head_name"], revealed["geometry"]["coordinates"]) == ("张三", [122.7123, 40.8456])
