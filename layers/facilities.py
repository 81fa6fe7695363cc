"""Emergency shelters (应急避难场所) and care facilities (养老与福利设施)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import CoverageSource, LayerSpec
from layers.roles import CASE_WORKER, EVERYONE

SHELTER_CLASSES = {"I": "Ⅰ类（≥30天）", "II": "Ⅱ类（10–30天）", "III": "Ⅲ类（≤10天）"}  # GB 21734-2008
SHELTER_TYPES = {"emergency": "紧急避难场所", "fixed": "固定避难场所", "central": "中心避难场所"}  # GB 51143
SHELTER_LEVELS = {"city": "市级", "township": "乡镇级", "village": "村级"}
CARE_TYPES = {
    "welfare_center": "社会福利中心",
    "regional_center": "区域养老服务中心",
    "nursing_home": "敬老院",
    "happiness_home": "农村幸福院",
    "private_home": "民办养老机构",
    "day_care": "日间照料站",
    "child_welfare": "儿童福利院",
}
# Service radius defaults in metres (DOMAIN.md §6; bases in layers.coverage.radii); types not listed serve a unit
# (农村幸福院 its village, 敬老院 its township, the welfare centres the county).
CARE_SERVICE_RADIUS_M = {"day_care": 300}
SHELTER_SERVICE_RADIUS_M = {"emergency": 500, "fixed": 2000, "central": 2000}
AREA_PER_PERSON_M2 = 1.5  # GB 21734-2008: > 1.5 m² per person
# Local parameter (no rule fixes it): a service radius beyond the county's extent (≈ 70 km across,
# DOMAIN.md §1) is a typing error. Counts, areas and radii below are quantities: never negative.
MAX_SERVICE_RADIUS_M = 100_000


class Shelter(FeatureMixin, Base):
    __tablename__ = "shelters"

    name: Mapped[str] = field(Text, "名称", required=True)
    shelter_class: Mapped[str | None] = field(String(4), "场所类别", choices=SHELTER_CLASSES)
    shelter_type: Mapped[str] = field(String(16), "场所类型", choices=SHELTER_TYPES, required=True,
                                      aliases=("类型",))
    level: Mapped[str | None] = field(String(16), "级别", choices=SHELTER_LEVELS)
    usable_area_m2: Mapped[float | None] = field(Float, "有效避难面积", unit="m²", minimum=0)
    capacity: Mapped[int | None] = field(Integer, "容纳人数", unit="人", minimum=0, aliases=("人数", "容纳"))
    service_radius_m: Mapped[float | None] = field(Float, "服务半径", unit="m", minimum=0,
                                                   maximum=MAX_SERVICE_RADIUS_M)
    address: Mapped[str | None] = field(Text, "地址")
    village_code: Mapped[str | None] = field(String(12), "所在村代码", references="villages")
    geom = geometry_column("Point")


class CareFacility(FeatureMixin, Base):
    __tablename__ = "care_facilities"

    name: Mapped[str] = field(Text, "名称", required=True)
    facility_type: Mapped[str] = field(String(24), "机构类型", choices=CARE_TYPES, required=True,
                                       aliases=("类型",))
    beds: Mapped[int | None] = field(Integer, "床位数", unit="张", minimum=0, aliases=("床位",))
    residents: Mapped[int | None] = field(Integer, "在院人数", unit="人", minimum=0)
    service_radius_m: Mapped[float | None] = field(Float, "服务半径", unit="m", minimum=0,
                                                   maximum=MAX_SERVICE_RADIUS_M)
    operator: Mapped[str | None] = field(Text, "运营方")
    address: Mapped[str | None] = field(Text, "地址")
    village_code: Mapped[str | None] = field(String(12), "所在村代码", references="villages")
    township_code: Mapped[str | None] = field(String(9), "所在乡镇代码", references="townships")
    geom = geometry_column("Point")


SHELTERS = LayerSpec("shelters", "应急避难场所", "应急避难场所", Shelter, "Point", EVERYONE, frozenset(),
                     natural_key=("name",), style={"color": "#e53935", "radius": 6},
                     coverage=CoverageSource("shelter_type", SHELTER_TYPES, ("village_code",)))
CARE_FACILITIES = LayerSpec("care_facilities", "养老与福利设施", "养老与福利设施", CareFacility, "Point", EVERYONE,
                            frozenset({CASE_WORKER}), natural_key=("name",), style={"color": "#fb8c00", "radius": 5},
                            coverage=CoverageSource("facility_type", CARE_TYPES, ("township_code", "village_code")))
LAYERS = [SHELTERS, CARE_FACILITIES]
