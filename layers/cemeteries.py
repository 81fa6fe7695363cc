"""Village public cemeteries, columbaria (公墓、骨灰堂) and scattered graves (散坟)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import LayerSpec
from layers.roles import EVERYONE, FUNERAL_PLANNER

THEME = "公墓与散坟"

CEMETERY_TYPES = {"village_public": "农村公益性墓地", "urban_public": "城市公益性公墓",
                  "columbarium": "骨灰堂", "commercial": "经营性公墓"}
CEMETERY_STATUS = {"existing": "已建成", "planned": "规划", "under_construction": "建设中", "full": "已满"}
GRAVE_STATUS = {"to_move": "待迁移", "moved": "已迁移", "deep_buried": "已深埋", "retained": "保留"}


class Cemetery(FeatureMixin, Base):
    __tablename__ = "cemeteries"

    name: Mapped[str] = field(Text, "名称", required=True)
    cemetery_type: Mapped[str] = field(String(24), "类型", choices=CEMETERY_TYPES, required=True)
    status: Mapped[str] = field(String(24), "状态", choices=CEMETERY_STATUS, required=True)
    village_code: Mapped[str | None] = field(String(12), "所在村代码", references="villages")
    # quantities and money: never negative
    area_m2: Mapped[float | None] = field(Float, "占地面积", unit="m²", minimum=0)
    plots_total: Mapped[int | None] = field(Integer, "墓穴（格位）总数", unit="个", minimum=0)
    plots_used: Mapped[int | None] = field(Integer, "已使用", unit="个", minimum=0)
    investment_yuan: Mapped[float | None] = field(Float, "投资额", unit="元", minimum=0)
    geom = geometry_column("MultiPolygon")


class ScatteredGrave(FeatureMixin, Base):
    __tablename__ = "scattered_graves"

    # a record is at least one grave
    grave_count: Mapped[int] = field(Integer, "坟数", required=True, server_default="1", minimum=1)
    status: Mapped[str] = field(String(16), "处置状态", choices=GRAVE_STATUS, required=True,
                                server_default="to_move")
    status_reason: Mapped[str | None] = field(Text, "处置说明")
    village_code: Mapped[str | None] = field(String(12), "所在村代码", index=True, references="villages")
    geom = geometry_column("Point")


WRITERS = frozenset({FUNERAL_PLANNER})

LAYERS = [
    LayerSpec("cemeteries", "公墓", THEME, Cemetery, "MultiPolygon", EVERYONE, WRITERS, natural_key=("name",),
              style={"color": "#2e7d32", "weight": 2, "fillOpacity": 0.4}),
    LayerSpec("scattered_graves", "散坟", THEME, ScatteredGrave, "Point", EVERYONE, WRITERS, large=True,
              title_field="status", style={"color": "#6d4c41", "radius": 3}),
]
