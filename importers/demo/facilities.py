"""Shelters, care facilities (DOMAIN.md §6) and village/community service centres, placed at the city, township
and village seats.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import Point

from importers.demo.common import LABEL, TAG, Table, county_outline, metric_xy, rng, short_name, village_labels
from importers.demo.partition import Partition
from layers.facilities import AREA_PER_PERSON_M2, CARE_SERVICE_RADIUS_M, SHELTER_SERVICE_RADIUS_M

CITY_SHELTERS = [("海城市人民公园应急避难场所", 122.684, 40.884, 60_000),
                 ("海城市体育中心应急避难场所", 122.668, 40.872, 45_000),
                 ("海城市南台广场应急避难场所", 122.712, 40.862, 30_000)]
REGIONAL_CENTRES = [("析木新城养老服务中心", "析木镇"), ("腾鳌区域养老服务中心", "腾鳌镇"),
                    ("西柳区域养老服务中心", "西柳镇")]
HAPPINESS_HOMES = 144
PRIVATE_HOMES = 20
DAY_CARE = 40
VILLAGE_SHELTERS = 9
COMMUNITY_SERVICE_CENTERS = 24


def _near(r: np.random.Generator, x: float, y: float, d: float) -> Point:
    a = r.uniform(0, 2 * np.pi)
    p = Point(x + d * np.cos(a), y + d * np.sin(a))
    return p if county_outline().contains(p) else Point(x, y)  # seats are inside the county


def build_shelters(partition: Partition) -> Table:
    r = rng("shelters")
    t = Table("shelters")
    for name, lon, lat, city_area in CITY_SHELTERS:
        t.add(Point(metric_xy(lon, lat)), name=name, shelter_class="I", shelter_type="central", level="city",
              usable_area_m2=float(city_area), capacity=int(city_area / AREA_PER_PERSON_M2),
              service_radius_m=float(SHELTER_SERVICE_RADIUS_M["central"]),
              address=f"海城市区（位置为{LABEL}）", village_code=None)
    for town in partition.townships.values():
        if town.kind != "town":
            continue
        area = float(round(r.uniform(3000, 12000), -2))
        t.add(_near(r, *town.seat, 300), name=f"{town.name}中心广场应急避难场所{TAG}", shelter_class="II",
              shelter_type="fixed", level="township", usable_area_m2=area, capacity=int(area / AREA_PER_PERSON_M2),
              service_radius_m=float(SHELTER_SERVICE_RADIUS_M["fixed"]), address=f"{town.name}（{LABEL}）",
              village_code=town.seat_village)  # type: ignore[attr-defined]
    villages = [v for v in partition.villages.values() if v.kind == "village"]
    for i in sorted(r.choice(len(villages), VILLAGE_SHELTERS, replace=False)):
        v = villages[int(i)]
        area = float(round(r.uniform(2100, 4000), -1))
        t.add(_near(r, *v.seat, 150), name=f"{short_name(v.name)}文化广场紧急避难场所{TAG}", shelter_class="III",
              shelter_type="emergency", level="village", usable_area_m2=area,
              capacity=int(area / AREA_PER_PERSON_M2), service_radius_m=float(SHELTER_SERVICE_RADIUS_M["emergency"]),
              address=f"{v.name}（{LABEL}）", village_code=v.code)
    return t


def build_care_facilities(partition: Partition) -> Table:
    r = rng("care")
    t = Table("care_facilities")

    def add(p: Point, name: str, kind: str, beds: int, village: str | None, town: str | None, operator: str) -> None:
        t.add(p, name=name, facility_type=kind, beds=beds, residents=int(beds * r.uniform(0.45, 0.9)),
              service_radius_m=float(CARE_SERVICE_RADIUS_M[kind]) if kind in CARE_SERVICE_RADIUS_M else None,
              operator=operator, address=f"{LABEL}：位置为示意", village_code=village, township_code=town)

    add(Point(metric_xy(122.632, 40.878)), "海西新城社会福利中心", "welfare_center", 600, None, "210381002",
        "海城市民政局")
    add(Point(metric_xy(122.700, 40.893)), "海城市儿童福利院", "child_welfare", 80, None, "210381001", "海城市民政局")
    by_name = {x.name: x for x in partition.townships.values()}
    for name, town_name in REGIONAL_CENTRES:
        town = by_name[town_name]
        seat_village = town.seat_village  # type: ignore[attr-defined]
        add(_near(r, *town.seat, 600), name, "regional_center", int(r.integers(150, 300)), seat_village,
            town.code, "海城市民政局")
    for town in partition.townships.values():
        if town.kind == "town":
            add(_near(r, *town.seat, 400), f"{town.name}敬老院", "nursing_home", int(r.integers(40, 120)),
                town.seat_village, town.code, f"{town.name}人民政府")  # type: ignore[attr-defined]
    villages = [v for v in partition.villages.values() if v.kind == "village"]
    labels = village_labels(partition)
    for i in sorted(r.choice(len(villages), HAPPINESS_HOMES, replace=False)):
        v = villages[int(i)]
        add(_near(r, *v.seat, 80), f"{labels[v.code]}农村幸福院", "happiness_home", int(r.integers(8, 30)),
            v.code, v.parent, f"{v.name}")
    towns = [x for x in partition.townships.values()]
    for k in range(PRIVATE_HOMES):
        town = towns[int(r.integers(len(towns)))]
        add(_near(r, *town.seat, r.uniform(300, 1500)), f"{short_name(town.name)}康乐颐养院{k + 1}号{TAG}",
            "private_home", int(r.integers(30, 200)), None, town.code, "民办（示例）")
    communities = [v for v in partition.villages.values() if v.kind != "village"]
    for i in sorted(r.choice(len(communities), min(DAY_CARE, len(communities)), replace=False)):
        v = communities[int(i)]
        add(_near(r, *v.seat, 100), f"{short_name(v.name)}社区日间照料站", "day_care", int(r.integers(6, 20)),
            v.code, v.parent, f"{v.name}")
    return t


def build_community_service_centers(partition: Partition) -> Table:
    """A few 村(社区)综合服务设施 (党群服务中心) at village and community seats: far fewer than the villages,
    so the demo's coverage by them is low and visible.
    """
    r = rng("community_services")
    t = Table("community_service_centers")
    labels = village_labels(partition)
    units = list(partition.villages.values())
    for i in sorted(r.choice(len(units), COMMUNITY_SERVICE_CENTERS, replace=False)):
        v = units[int(i)]
        kind = "village_service_center" if v.kind == "village" else "community_service_center"
        t.add(_near(r, *v.seat, 60), name=f"{labels[v.code]}党群服务中心", service_type=kind,
              floor_area_m2=float(round(r.uniform(200, 800), -1)), address=f"{v.name}（{LABEL}）", village_code=v.code)
    return t
