"""The county line split by neighbour, a few township lines, and ≈ 60 boundary markers."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import linemerge, substring

from importers.demo.common import LABEL, Table, county_outline, metric_xy, rng
from importers.demo.partition import Partition, multi

# Neighbours by bearing from the city centre (clockwise from north, degrees): approximate.
NEIGHBOURS = [(-35, 25, "辽阳县"), (25, 80, "鞍山市千山区"), (80, 165, "岫岩满族自治县"),
              (165, 235, "大石桥市"), (235, 275, "大洼区"), (275, 325, "台安县")]
TOWNSHIP_PAIRS = [("析木镇", "岔沟镇"), ("孤山镇", "接文镇"), ("牛庄镇", "西四镇")]
COUNTY_MARKERS = 37  # with the B twins of 同号双立 pairs ≈ 60 markers in all
TOWNSHIP_MARKERS = 5
LAST_INSPECTION = {"county": date(2019, 10, 15), "township": date(2021, 9, 20)}
MATERIALS = ["granite", "granite", "concrete"]
LOST_REFERENCE_AT = 6  # every tenth marker of a line (the 7th, 17th …) has lost one of its three 方位物


def _bearing(cx: float, cy: float, x: float, y: float) -> float:
    b = math.degrees(math.atan2(x - cx, y - cy)) % 360
    return b - 360 if b >= 325 else b


def _county_lines() -> list[tuple[str, LineString]]:
    ring = county_outline().exterior
    cx, cy = metric_xy(122.69, 40.88)
    coords = np.array(ring.coords)
    pieces: dict[str, list] = {}
    for a, b in zip(coords[:-1], coords[1:], strict=True):
        mid = (a + b) / 2
        bearing = _bearing(cx, cy, mid[0], mid[1])
        name = next(n for lo, hi, n in NEIGHBOURS if lo <= bearing < hi)
        pieces.setdefault(name, []).append(LineString([a, b]))
    return [(n, linemerge(pieces[n])) for _, _, n in NEIGHBOURS if n in pieces]


TWIN_OFFSET_M = 7.0  # along the line from A: the two markers of a 同号双立 pair (no random draw: the rest stays)


def build_boundaries(partition: Partition) -> tuple[Table, Table]:
    r = rng("boundaries")
    lines, markers = Table("boundary_lines"), Table("boundary_markers")
    todo: list[tuple[int, object, int, str, str]] = []
    for k, (neighbour, geom) in enumerate(_county_lines()):
        due = k % 2 == 0  # half the county lines are past their 5-year joint inspection
        last = LAST_INSPECTION["county"] if due else date(2022, 6, 10)
        line_id = lines.add(
            multi(geom), name=f"海城市—{neighbour}界线", line_level="county", side_a="海城市", side_b=neighbour,
            agreement_ref=f"{LABEL}：海{neighbour[:1]}界字〔2001〕{k + 1}号（虚构）",
            approval_doc="辽宁省人民政府（示例）",
            length_m=round(geom.length, 1), last_inspection_date=last,
            next_inspection_date=date(last.year + 5, last.month, last.day))
        todo.append((line_id, geom, max(4, round(COUNTY_MARKERS * geom.length / county_outline().length)),
                     "海城市", neighbour))
    for a, b in TOWNSHIP_PAIRS:
        ta = next(t for t in partition.townships.values() if t.name == a)
        tb = next(t for t in partition.townships.values() if t.name == b)
        shared = shapely.intersection(ta.geom.boundary, tb.geom.boundary)
        parts = [g for g in getattr(shared, "geoms", [shared]) if g.geom_type in ("LineString", "MultiLineString")]
        geom = linemerge(shapely.union_all(parts)) if parts else None
        if geom is None or geom.is_empty:
            continue
        last = LAST_INSPECTION["township"]
        line_id = lines.add(
            multi(geom), name=f"{a}—{b}界线", line_level="township", side_a=a, side_b=b,
            agreement_ref=f"{LABEL}（虚构协议书）", approval_doc="海城市人民政府（示例）",
            length_m=round(geom.length, 1), last_inspection_date=last,
            next_inspection_date=date(last.year + 5, last.month, last.day))
        todo.append((line_id, geom, TOWNSHIP_MARKERS, a, b))
    for line_id, geom, n, side_a, side_b in todo:
        main = max(getattr(geom, "geoms", [geom]), key=lambda g: g.length)
        for i in range(n):
            p = main.interpolate((i + 0.5) / n, normalized=True)
            kind = "double" if i % 7 == 3 else "single"
            number = f"{i + 1:03d}" + ("A" if kind == "double" else "Q")
            refs = [{"name": f"{obj}（示例）", "bearing_deg": int(r.integers(0, 360)),
                     "distance_m": round(float(r.uniform(8, 120)), 1)}
                    for obj in r.choice(["独立树", "电线杆", "桥头", "房角", "水井", "路口", "坟丘", "岩石"], 3,
                                        replace=False)]
            if i % 10 == LOST_REFERENCE_AT:  # a reference object gone since registration: the pages warn
                refs = refs[:2]
            attrs = dict(line_id=line_id, marker_type=kind, material=MATERIALS[int(r.integers(3))],
                         survey_method="gnss_rtk", accuracy_m=round(float(r.uniform(0.02, 0.08)), 3),
                         reference_objects=refs,
                         registered_date=date(2001 + int(r.integers(0, 3)), 1 + int(r.integers(12)), 1))
            markers.add(Point(p.x, p.y), number=number, managing_side=side_a if i % 2 == 0 else side_b, **attrs)
            if kind == "double":  # 同号双立: its twin B stands a few metres away, kept by the other side
                twin = main.interpolate(main.project(p) + TWIN_OFFSET_M)
                markers.add(Point(twin.x, twin.y), number=number[:-1] + "B",
                            managing_side=side_b if i % 2 == 0 else side_a, **attrs)
    return lines, markers


__all__ = ["build_boundaries", "substring"]
