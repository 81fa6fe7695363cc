"""The 三沿六区 constraint layers: highways, railways, rivers/embankments and six kinds of zone."""

from __future__ import annotations

from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import LayerSpec
from layers.roles import EVERYONE, FUNERAL_PLANNER

THEME = "三沿六区约束"

ROAD_CLASSES = {"expressway": "高速公路", "national": "国道", "provincial": "省道", "county": "县道",
                "township": "乡道"}
RAILWAY_CLASSES = {"high_speed": "高速铁路", "conventional": "普速铁路"}
# 《殡葬管理条例》 Art. 10 names "水库及河流堤坝附近": a reservoir's dam is drawn here as a line too
RIVER_KINDS = {"river": "河流", "embankment": "河堤", "reservoir_dam": "水库堤坝"}
WATER_SOURCE_GRADES = {"primary": "一级保护区", "secondary": "二级保护区", "quasi": "准保护区"}
PROTECTION_LEVELS = {"national": "全国重点", "provincial": "省级", "municipal": "市级", "county": "县级"}


class Road(FeatureMixin, Base):
    __tablename__ = "roads"

    name: Mapped[str | None] = field(Text, "名称")
    road_code: Mapped[str | None] = field(String(16), "路线编号")
    road_class: Mapped[str] = field(String(16), "公路等级", choices=ROAD_CLASSES, required=True, index=True)
    geom = geometry_column("MultiLineString")


class Railway(FeatureMixin, Base):
    __tablename__ = "railways"

    name: Mapped[str] = field(Text, "名称", required=True)
    railway_class: Mapped[str] = field(String(16), "铁路类型", choices=RAILWAY_CLASSES, required=True)
    geom = geometry_column("MultiLineString")


class River(FeatureMixin, Base):
    __tablename__ = "rivers"

    name: Mapped[str] = field(Text, "名称", required=True)
    river_kind: Mapped[str] = field(String(16), "类型", choices=RIVER_KINDS, required=True)
    geom = geometry_column("MultiLineString")


class _Zone(FeatureMixin):
    name: Mapped[str] = field(Text, "名称", required=True)
    approval_doc: Mapped[str | None] = field(Text, "批准文件")
    area_m2: Mapped[float | None] = field(Float, "面积", unit="m²", minimum=0)  # an area: never negative


class BasicFarmland(_Zone, Base):
    __tablename__ = "basic_farmland"
    geom = geometry_column("MultiPolygon")


class UrbanPlanningZone(_Zone, Base):
    __tablename__ = "urban_planning_zones"
    geom = geometry_column("MultiPolygon")


class ScenicArea(_Zone, Base):
    __tablename__ = "scenic_areas"
    geom = geometry_column("MultiPolygon")


class NatureReserve(_Zone, Base):
    __tablename__ = "nature_reserves"
    geom = geometry_column("MultiPolygon")


class WaterSourceZone(_Zone, Base):
    __tablename__ = "water_source_zones"
    grade: Mapped[str | None] = field(String(16), "保护区级别", choices=WATER_SOURCE_GRADES)
    geom = geometry_column("MultiPolygon")


class HeritageSite(_Zone, Base):
    __tablename__ = "heritage_sites"
    protection_level: Mapped[str | None] = field(String(16), "保护级别", choices=PROTECTION_LEVELS)
    geom = geometry_column("MultiPolygon")


WRITERS = frozenset({FUNERAL_PLANNER})


def _zone(name: str, title: str, model: type[Base], color: str, large: bool = False) -> LayerSpec:
    return LayerSpec(name, title, THEME, model, "MultiPolygon", EVERYONE, WRITERS, natural_key=("name",),
                     large=large, style={"color": color, "weight": 1, "fillOpacity": 0.25})


LAYERS = [
    LayerSpec("roads", "公路", THEME, Road, "MultiLineString", EVERYONE, WRITERS, large=True,
              style={"color": "#f57c00", "weight": 2}),
    LayerSpec("railways", "铁路", THEME, Railway, "MultiLineString", EVERYONE, WRITERS,
              style={"color": "#424242", "weight": 3, "dashArray": "10 5"}),
    LayerSpec("rivers", "河流与河堤", THEME, River, "MultiLineString", EVERYONE, WRITERS,
              style={"color": "#1e88e5", "weight": 2}),
    _zone("basic_farmland", "基本农田保护区", BasicFarmland, "#c0ca33", large=True),
    _zone("urban_planning_zones", "城镇规划区", UrbanPlanningZone, "#8d6e63"),
    _zone("scenic_areas", "风景名胜区", ScenicArea, "#43a047"),
    _zone("nature_reserves", "自然保护区", NatureReserve, "#00897b"),
    _zone("water_source_zones", "水源保护区", WaterSourceZone, "#039be5"),
    _zone("heritage_sites", "文物保护区", HeritageSite, "#d81b60"),
]
