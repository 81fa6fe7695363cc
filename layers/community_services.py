"""村(社区)综合服务设施: the service centre of a village (村级综合服务设施, 党群服务中心) or of an urban community
(城市社区综合服务设施), which the plan counts for coverage.

Basis: 《“十四五”城乡社区服务体系建设规划》（国办发〔2021〕56号）counts a village or community as covered when it has
its own comprehensive service facility (主要指标：城市社区综合服务设施覆盖率 100%，农村社区综合服务设施覆盖率 80%
by 2025; 每百户居民拥有社区综合服务设施面积 ≥ 30 m²). A facility therefore serves its own village or
community, whatever the distance: in coverage a household is covered by one in the same village (scope
``village``), as a 农村幸福院 is. Written by the case office (民政 runs the plan); read by everyone.
"""

from __future__ import annotations

from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import CoverageSource, LayerSpec, Radius
from layers.roles import CASE_WORKER, EVERYONE

THEME = "城乡社区服务"
SERVICE_TYPES = {"village_service_center": "村级综合服务设施", "community_service_center": "城市社区综合服务设施"}
PLAN_BASIS = ("《“十四五”城乡社区服务体系建设规划》（国办发〔2021〕56号）按村（社区）统计综合服务设施覆盖率："
              "设施服务本村（社区），同一村（社区）的住户即为覆盖，不按距离计")
# Local parameter (no rule fixes an upper bound): a floor area beyond 100,000 m² is a typing error.
MAX_FLOOR_AREA_M2 = 100_000


class CommunityServiceCenter(FeatureMixin, Base):
    __tablename__ = "community_service_centers"

    name: Mapped[str] = field(Text, "名称", required=True)
    service_type: Mapped[str] = field(String(32), "设施类型", choices=SERVICE_TYPES, required=True)
    floor_area_m2: Mapped[float | None] = field(Float, "建筑面积", unit="m²", minimum=0, maximum=MAX_FLOOR_AREA_M2)
    address: Mapped[str | None] = field(Text, "地址")
    village_code: Mapped[str | None] = field(String(12), "所在村（社区）代码", references="villages")
    geom = geometry_column("Point")


COMMUNITY_SERVICE_CENTERS = LayerSpec(
    "community_service_centers", "村(社区)综合服务设施", THEME, CommunityServiceCenter, "Point", EVERYONE,
    frozenset({CASE_WORKER}), natural_key=("name",), style={"color": "#8e24aa", "radius": 5},
    coverage=CoverageSource("service_type", SERVICE_TYPES, ("village_code",),
                            defaults={code: Radius(None, "village", PLAN_BASIS) for code in SERVICE_TYPES}))
LAYERS = [COMMUNITY_SERVICE_CENTERS]
