"""The 三沿六区 constraint layers: highways, railways, rivers/embankments, the six kinds of zone, and the
land 《殡葬管理条例》 Art. 10 names besides them (cultivated land, forest land, city parks).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Float, String, Text
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.errors import InvalidInput
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
# the widest corridor a feature may record: an 8-lane expressway's land (≈ 45 m roadbed + ditches, slopes and
# the land strip) stays well below it; it also bounds the search radius of the edge-distance look-ups
MAX_CORRIDOR_WIDTH_M = 200.0
WIDTH_HELP = "用地宽度：公路为两侧公路用地外缘之间，铁路为两侧路堤坡脚（路堑坡顶、桥梁外侧）之间的宽度"


def _width_column() -> Any:
    return field(Float, "用地宽度", unit="m")


def _width_check() -> CheckConstraint:  # also for rows written straight in PostGIS (QGIS)
    return CheckConstraint(f"width_m IS NULL OR (width_m > 0 AND width_m <= {MAX_CORRIDOR_WIDTH_M:g})",
                           name="width_m_range")


def check_corridor_width(properties: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """A road's or railway's recorded width: empty (the class default applies) or 0 < width ≤ 200 m."""
    width = properties.get("width_m")
    if width is not None and not 0 < width <= MAX_CORRIDOR_WIDTH_M:
        raise InvalidInput(f"用地宽度 width_m 应大于 0 且不超过 {MAX_CORRIDOR_WIDTH_M:g} 米（{WIDTH_HELP}），"
                           f"收到 {width:g}", "width_m out of range", field="width_m")
    return properties


class Road(FeatureMixin, Base):
    __tablename__ = "roads"

    name: Mapped[str | None] = field(Text, "名称")
    road_code: Mapped[str | None] = field(String(16), "路线编号")
    road_class: Mapped[str] = field(String(16), "公路等级", choices=ROAD_CLASSES, required=True, index=True)
    width_m: Mapped[float | None] = _width_column()  # empty: the class default (data/rules, corridor_widths)
    geom = geometry_column("MultiLineString")
    __table_args__ = (_width_check(),)


class Railway(FeatureMixin, Base):
    __tablename__ = "railways"

    name: Mapped[str] = field(Text, "名称", required=True)
    railway_class: Mapped[str] = field(String(16), "铁路类型", choices=RAILWAY_CLASSES, required=True)
    width_m: Mapped[float | None] = _width_column()
    geom = geometry_column("MultiLineString")
    __table_args__ = (_width_check(),)


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


class CultivatedLand(_Zone, Base):
    __tablename__ = "cultivated_land"
    geom = geometry_column("MultiPolygon")


class ForestLand(_Zone, Base):
    __tablename__ = "forest_land"
    geom = geometry_column("MultiPolygon")


class UrbanPark(_Zone, Base):
    __tablename__ = "urban_parks"
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
              style={"color": "#f57c00", "weight": 2}, prepare_write=check_corridor_width),
    LayerSpec("railways", "铁路", THEME, Railway, "MultiLineString", EVERYONE, WRITERS,
              style={"color": "#424242", "weight": 3, "dashArray": "10 5"}, prepare_write=check_corridor_width),
    LayerSpec("rivers", "河流与河堤", THEME, River, "MultiLineString", EVERYONE, WRITERS,
              style={"color": "#1e88e5", "weight": 2}),
    _zone("basic_farmland", "基本农田保护区", BasicFarmland, "#c0ca33", large=True),
    _zone("cultivated_land", "耕地", CultivatedLand, "#e6c229", large=True),
    _zone("forest_land", "林地", ForestLand, "#2e7d32", large=True),
    _zone("urban_parks", "城市公园", UrbanPark, "#66bb6a"),
    _zone("urban_planning_zones", "城镇规划区", UrbanPlanningZone, "#8d6e63"),
    _zone("scenic_areas", "风景名胜区", ScenicArea, "#43a047"),
    _zone("nature_reserves", "自然保护区", NatureReserve, "#00897b"),
    _zone("water_source_zones", "水源保护区", WaterSourceZone, "#039be5"),
    _zone("heritage_sites", "文物保护区", HeritageSite, "#d81b60"),
]
