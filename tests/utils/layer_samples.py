"""Minimal valid properties for a feature of any layer (for the permission sweep)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from layers.catalog import registry
from tests.utils.features import feature, line, square


def _boundary_line_id(client: TestClient, unique: str) -> int:
    body = feature(line((122.4, 40.6), (122.5, 40.7)), name=f"测试界线{unique}", line_level="county", side_a="海城市",
                   side_b="大石桥市")
    return client.post("/api/layers/boundary_lines/features", json=body).json()["id"]


def _township_code(client: TestClient) -> str:
    """A live township for a village to name (the permission sweep retires the townships it writes)."""
    code = "210381199"
    if client.get("/api/layers/townships/features", params={"code": code}).json()["numberMatched"] == 0:
        body = feature(square(122.6, 40.8), code=code, name="样例镇")
        assert client.post("/api/layers/townships/features", json=body).status_code == 201
    return code


def sample_properties(client: TestClient, layer: str, unique: str = "a") -> dict[str, Any]:
    """Required fields filled in; ``unique`` keeps natural keys apart."""
    samples: dict[str, dict[str, Any]] = {
        "townships": {"code": f"2103811{90 if unique == 'a' else 91}", "name": "测试镇"},
        "villages": {"code": f"2103811902{'01' if unique == 'a' else '02'}", "name": "测试村",
                     "township_code": _township_code(client)} if layer == "villages" else {},
        # a name the naming rules accept (Chinese only, a known class): the API refuses others
        "place_names": {"name": "测试地名" + ("甲" if unique == "a" else "乙"), "class_code": "11100"},
        "place_name_signs": {"sign_type": "road", "inscription": "测试路"},
        "boundary_lines": {"name": f"测试线{unique}", "line_level": "county", "side_a": "甲", "side_b": "乙"},
        "shelters": {"name": f"测试场所{unique}", "shelter_type": "emergency"},
        "care_facilities": {"name": f"测试幸福院{unique}", "facility_type": "happiness_home"},
        "cemeteries": {"name": f"测试公墓{unique}", "cemetery_type": "village_public", "status": "existing"},
        "scattered_graves": {"grave_count": 1},
        "households": {"head_name": "测试", "categories": ["dibao"]},
        "roads": {"road_class": "county"},
        "railways": {"name": "测试铁路", "railway_class": "conventional"},
        "rivers": {"name": "测试河", "river_kind": "river"},
    }
    if layer == "boundary_markers":
        return {"line_id": _boundary_line_id(client, unique), "number": f"00{unique}Q", "marker_type": "single"}
    return samples.get(layer) or _from_declaration(layer, unique)


def _from_declaration(layer: str, unique: str) -> dict[str, Any]:
    """A layer without a sample above: its title field and the first allowed value of each required code
    field (so a layer added the short way needs no sample here)."""
    spec = registry().get(layer)
    assert spec is not None, layer
    out: dict[str, Any] = {f.name: next(iter(f.choices)) for f in spec.editable_fields if f.required and f.choices}
    return {spec.title_field: f"测试区{unique}", **out}
