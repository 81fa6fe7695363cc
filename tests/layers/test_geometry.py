"""The geometry checks."""

from __future__ import annotations

import pytest

from layers.errors import InvalidGeometry
from layers.geometry import validate_geometry


def test_none_and_non_objects_are_refused():
    for value in (None, [], "POINT(1 2)", {"coordinates": [1, 2]}):
        with pytest.raises(InvalidGeometry) as refused:
            validate_geometry(value, "Point")
        assert "缺少几何" in refused.value.message


def test_nan_coordinates_are_refused():
    with pytest.raises(InvalidGeometry):
        validate_geometry({"type": "Point", "coordinates": [float("nan"), 40.8]}, "Point")


def test_margin_lets_points_just_outside_the_extent_through():
    validate_geometry({"type": "Point", "coordinates": [122.30, 40.47]}, "Point", margin=0.05)
    with pytest.raises(InvalidGeometry) as refused:
        validate_geometry({"type": "Point", "coordinates": [122.30, 40.47]}, "Point", margin=0.0)
    assert "超出海城市范围" in refused.value.message


def test_any_geometry_layer_accepts_points_lines_and_polygons():
    for geojson in ({"type": "Point", "coordinates": [122.7, 40.8]},
                    {"type": "LineString", "coordinates": [[122.7, 40.8], [122.71, 40.8]]},
                    {"type": "Polygon", "coordinates": [[[122.7, 40.8], [122.71, 40.8], [122.71, 40.81],
                                                         [122.7, 40.8]]]}):
        assert validate_geometry(geojson, "Geometry").geom_type == geojson["type"]
