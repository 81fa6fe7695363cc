"""Village public cemeteries, the 东响 columbarium, scattered graves and candidate sites.

Candidate sites are built to pass, or to fail exactly one 三沿六区 rule with the shipped default
distances (DOMAIN.md §5); they are written to ``data/demo/candidate_sites.geojson``.
"""

from __future__ import annotations

import json

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

GRAVES = 3000
# rule → (layer, class filter, distance m): DOMAIN.md §5 defaults
RULES: dict[str, tuple[str, str | None, float]] = {
    "expressway": ("roads", "expressway", 500), "national_road": ("roads", "national", 500),
    "provincial_road": ("roads", "provincial", 500), "county_road": ("roads", "county", 200),
    "railway": ("railways", None, 500), "embankment": ("rivers", None, 300),
    "basic_farmland": ("basic_farmland", None, 0), "urban_planning": ("urban_planning_zones", None, 0),
    "scenic_area": ("scenic_areas", None, 2000), "nature_reserve": ("nature_reserves", None, 2000),
    "water_source": ("water_source_zones", None, 2000), "heritage": ("heritage_sites", None, 2000),
}


def rule_zones(net: Network, zones: Zones) -> dict[str, BaseGeometry]:
    """Each rule's forbidden area (EPSG:4550)."""
    out = {}
    for rule, (layer, cls, dist) in RULES.items():
        if layer in ("roads", "railways", "rivers"):
            geom = net.lines(layer, cls)
        else:
            geom = zones.union(layer)
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
    served = 0
    for i in order:
        v = villages[int(i)]
        if served >= len(partition.villages) // 2:
            break
        free = v.geom.buffer(-100).difference(blocked)
        if free.is_empty or free.area < 40_000:
            continue
        x, y = sample_points(r, free, 1)[0]
        side = float(r.uniform(40, 90))
        plots = int(side * side * 2.8 / 2)
        cem.add(multi(_plot(x, y, side, float(r.uniform(0, 90)))), name=f"{short_name(v.name)}公益性公墓{TAG}",
                cemetery_type="village_public", status="existing", village_code=v.code,
                area_m2=round(side * side * 2.8, 1), plots_total=plots, plots_used=int(plots * r.uniform(0.3, 0.95)),
                investment_yuan=None)
        served += 2 if r.random() < 0.3 else 1  # some cemeteries serve a neighbouring village too
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
        graves.add(p, grave_count=int(r.choice([1, 1, 1, 2, 3, 5])), status=status, status_reason=reason,
                   village_code=v.code)
    return cem, graves, _candidate_sites(r, by_rule)


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
