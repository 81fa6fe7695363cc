"""Village public cemeteries, the 东响 columbarium, scattered graves and candidate sites.

Candidate sites are built to pass, or to fail exactly one 三沿六区 rule with the shipped default
distances (DOMAIN.md §5; roads and railways from the edge of their land, at the class default width or
the road's recorded one); they are written to ``data/demo/candidate_sites.geojson``. Some village
cemeteries also serve a neighbouring village under a recorded agreement (《殡葬管理条例》 Art. 9); the
scattered graves are of the three kinds the remediation plan names.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from importers.demo.common import (
    DEMO_DATA,
    LABEL,
    TAG,
    Table,
    county_outline,
    rng,
    sample_points,
    short_name,
    to_lonlat,
)
from importers.demo.network import Network
from importers.demo.partition import Partition, multi
from importers.demo.settlements import Settlement, settlement_area
from importers.demo.zones import Zones
from layers.siting.rules import corridor_width

GRAVES = 3000
# rule → (layer, class filter, distance m): DOMAIN.md §5 defaults
RULES: dict[str, tuple[str, str | None, float]] = {
    "expressway": ("roads", "expressway", 500), "national_road": ("roads", "national", 500),
    "provincial_road": ("roads", "provincial", 500), "county_road": ("roads", "county", 200),
    "township_road": ("roads", "township", 5),
    "railway": ("railways", None, 500), "embankment": ("rivers", None, 300),
    "basic_farmland": ("basic_farmland", None, 0), "cultivated_land": ("cultivated_land", None, 0),
    "forest_land": ("forest_land", None, 0), "urban_planning": ("urban_planning_zones", None, 0),
    "urban_park": ("urban_parks", None, 0),
    "scenic_area": ("scenic_areas", None, 2000), "nature_reserve": ("nature_reserves", None, 2000),
    "water_source": ("water_source_zones", None, 2000), "heritage": ("heritage_sites", None, 2000),
}
CORRIDORS = {"roads": ("highway", "road_class"), "railways": ("railway", "railway_class")}
# of every hundred scattered graves, how many of each kind (示例数据: most are plain scattered burials)
KIND_WEIGHTS = {"scattered": 80, "hardened": 15, "living_person": 5}


def _corridor_zone(rows: list[dict], constraint: str, class_key: str, cls: str | None, dist: float) -> BaseGeometry:
    """The area within ``dist`` of the edge of each road's (railway's) land: its width, recorded or by class."""
    by_width: dict[float, list[BaseGeometry]] = {}
    for r in rows:
        if cls is None or r[class_key] == cls:
            width = r.get("width_m") or corridor_width(constraint, r[class_key]) or 0.0
            by_width.setdefault(width, []).append(r["geom"])
    # one buffer per width of the lines unioned: far cheaper than a buffer per segment
    return shapely.union_all([shapely.union_all(lines).buffer(dist + width / 2) for width, lines in by_width.items()])


def rule_zones(net: Network, zones: Zones) -> dict[str, BaseGeometry]:
    """Each rule's forbidden area (EPSG:4550)."""
    out = {}
    for rule, (layer, cls, dist) in RULES.items():
        if layer in CORRIDORS:
            out[rule] = _corridor_zone(getattr(net, layer), *CORRIDORS[layer], cls, dist)
            continue
        geom = net.lines(layer, cls) if layer == "rivers" else zones.union(layer)
        out[rule] = geom.buffer(dist) if dist else geom
    for g in out.values():
        shapely.prepare(g)
    return out


def failing_rules(zones_by_rule: dict[str, BaseGeometry], geom: BaseGeometry) -> list[str]:
    return [rule for rule, zone in zones_by_rule.items() if zone.intersects(geom)]


def _plot(x: float, y: float, side: float, angle: float) -> BaseGeometry:
    return shapely.affinity.rotate(box(x - side, y - side * 0.7, x + side, y + side * 0.7), angle,
                                   origin=(x, y))


def build_cemeteries(partition: Partition, settlements: list[Settlement], net: Network, zones: Zones
                     ) -> tuple[Table, Table, dict]:
    import shapely.affinity  # noqa: F401

    r = rng("cemeteries")
    by_rule = rule_zones(net, zones)
    blocked = shapely.union_all([*by_rule.values(), settlement_area(settlements, 100)])
    shapely.prepare(blocked)
    cem = Table("cemeteries")
    villages = [v for v in partition.villages.values() if v.kind == "village"]
    order = r.permutation(len(villages))
    served, agreements = 0, 0
    with_cemetery: set[str] = set()
    for i in order:
        v = villages[int(i)]
        if served >= len(partition.villages) // 2:
            break
        free = v.geom.buffer(-100).difference(blocked)
        if free.is_empty or free.area < 15_000:
            continue
        x, y = sample_points(r, free, 1)[0]
        side = float(r.uniform(40, 90))
        plots = int(side * side * 2.8 / 2)
        # some serve a neighbouring village too, under a recorded agreement (《殡葬管理条例》 Art. 9)
        neighbour = _neighbour(villages, v, with_cemetery) if r.random() < 0.3 else None
        agreement = None
        if neighbour is not None:
            agreements += 1
            agreement = f"海民殡协〔2025〕{agreements}号{TAG}"
        cem.add(multi(_plot(x, y, side, float(r.uniform(0, 90)))), name=f"{short_name(v.name)}公益性公墓{TAG}",
                cemetery_type="village_public", status="existing", village_code=v.code,
                area_m2=round(side * side * 2.8, 1), plots_total=plots, plots_used=int(plots * r.uniform(0.3, 0.95)),
                investment_yuan=None, serves_villages=[neighbour.code] if neighbour else None,
                service_agreement=agreement)
        with_cemetery.add(v.code)
        served += 2 if neighbour else 1
    for i in order[-40:]:
        v = villages[int(i)]
        free = v.geom.buffer(-100).difference(blocked)
        if free.is_empty or free.area < 40_000:
            continue
        x, y = sample_points(r, free, 1)[0]
        cem.add(multi(_plot(x, y, 60, float(r.uniform(0, 90)))), name=f"{short_name(v.name)}公益性公墓（规划）{TAG}",
                cemetery_type="village_public", status="planned", village_code=v.code, area_m2=10080.0,
                plots_total=5000, plots_used=0, investment_yuan=float(round(r.uniform(1, 3), 1) * 1e6))
    dongxiang = next(v for v in partition.villages.values() if v.name == "东响社区")
    side = np.sqrt(5000 / 1.4)  # 5,000 m²: 2·side × 1.4·side
    cx, cy = dongxiang.seat
    cem.add(multi(_plot(cx + 250, cy - 200, side, 0)), name="东响骨灰堂", cemetery_type="columbarium",
            status="under_construction", village_code=dongxiang.code, area_m2=5000.0, plots_total=8000,
            plots_used=0, investment_yuan=8_000_000.0)

    graves = Table("scattered_graves")
    inside_any = shapely.union_all(list(by_rule.values()))
    shapely.prepare(inside_any)
    homes = settlement_area(settlements, 50)
    all_villages = list(partition.villages.values())
    while len(graves) < GRAVES:
        v = all_villages[int(r.integers(len(all_villages)))]
        x, y = sample_points(r, v.geom, 1)[0]
        p = Point(x, y)
        if homes.contains(p):
            continue
        in_zone = inside_any.contains(p)
        status = "to_move" if in_zone else ("retained" if r.random() < 0.7 else "deep_buried")
        reason = f"{LABEL}：位于三沿六区内，须迁移或深埋" if in_zone else f"{LABEL}：不在三沿六区内"
        kind = str(r.choice(list(KIND_WEIGHTS), p=np.array(list(KIND_WEIGHTS.values())) / 100))
        graves.add(p, grave_count=int(r.choice([1, 1, 1, 2, 3, 5])), status=status, status_reason=reason,
                   village_code=v.code, kind=kind)
    return cem, graves, _candidate_sites(r, by_rule)


def _neighbour(villages: list, village: Any, taken: set[str]) -> Any:
    """A village next to ``village`` (sharing its boundary) without a cemetery of its own yet, or None."""
    edge = village.geom.buffer(1.0)
    for other in villages:
        if other.code != village.code and other.code not in taken and edge.intersects(other.geom):
            return other
    return None


def _candidate_sites(r: np.random.Generator, by_rule: dict[str, BaseGeometry]) -> dict:
    """A GeoJSON FeatureCollection: 4 passing sites and one failing site per rule."""
    county = county_outline().buffer(-500)
    features = []
    wanted = [None] * 4 + list(RULES)
    for k, rule in enumerate(wanted):
        target = county if rule is None else by_rule[rule].intersection(county)
        for _ in range(4000):
            x, y = sample_points(r, target, 1)[0]
            site = Point(x, y).buffer(40, 8)
            fails = failing_rules(by_rule, site)
            if (rule is None and not fails) or fails == [rule]:
                break
        else:
            continue
        geom = to_lonlat(site)
        features.append({"type": "Feature", "properties": {
            "name": f"候选地{k + 1:02d}{TAG}", "expected_failing_rule": rule, "expected_pass": rule is None,
            "note": f"{LABEL}：按 DOMAIN.md §5 默认距离构造"},
            "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-7)))})
    return {"type": "FeatureCollection", "features": features}


def write_candidate_sites(collection: dict) -> None:
    (DEMO_DATA / "candidate_sites.geojson").write_text(
        json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
