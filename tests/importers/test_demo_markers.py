"""Demo boundary markers: numbered by type, and a few with too few 方位物 for the pages to warn about."""

from __future__ import annotations

from importers.demo.boundaries import build_boundaries
from importers.demo.partition import build_partition
from layers.boundaries import check_number


def test_numbers_fit_their_types_and_some_markers_lack_a_reference_object():
    _, markers = build_boundaries(build_partition())
    assert len(markers.rows) == 65
    for m in markers.rows:
        check_number(m["number"], m["marker_type"])  # raises when the suffix does not fit
    short = [(m["number"], len(m["reference_objects"])) for m in markers.rows if len(m["reference_objects"]) < 3]
    assert short == [("007Q", 2)] * 3
