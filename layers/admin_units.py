"""Administrative units: townships (乡镇/街道) and villages (村/居委会/社区)."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import LayerSpec
from layers.roles import ADMIN, EVERYONE

THEME = "行政区划"

TOWNSHIP_KINDS = {"subdistrict": "街道", "town": "镇", "township": "乡"}
VILLAGE_KINDS = {"village": "村委会", "residents": "居委会", "community": "社区"}


class Township(FeatureMixin, Base):
    __tablename__ = "townships"

    code: Mapped[str] = field(String(9), "区划代码", required=True, unique=True)
    name: Mapped[str] = field(Text, "名称", required=True)
    kind: Mapped[str | None] = field(String(16), "类型", choices=TOWNSHIP_KINDS)
    population: Mapped[int | None] = field(Integer, "户籍人口", unit="人", minimum=0)
    seat_name: Mapped[str | None] = field(Text, "驻地")
    geom = geometry_column("MultiPolygon")


class Village(FeatureMixin, Base):
    __tablename__ = "villages"

    code: Mapped[str] = field(String(12), "区划代码", required=True, unique=True)
    name: Mapped[str] = field(Text, "名称", required=True)
    township_code: Mapped[str] = field(String(9), "所属乡镇代码", required=True, index=True,
                                       references="townships")
    kind: Mapped[str | None] = field(String(16), "类型", choices=VILLAGE_KINDS)
    population: Mapped[int | None] = field(Integer, "户籍人口", unit="人", minimum=0)
    geom = geometry_column("MultiPolygon")


ADMIN_WRITE = frozenset({ADMIN})

LAYERS = [
    LayerSpec("townships", "乡镇（街道）", THEME, Township, "MultiPolygon", EVERYONE, ADMIN_WRITE,
              natural_key=("code",), style={"color": "#555555", "weight": 2, "fillOpacity": 0.0}),
    LayerSpec("villages", "村（社区）", THEME, Village, "MultiPolygon", EVERYONE, ADMIN_WRITE,
              natural_key=("code",), style={"color": "#999999", "weight": 1, "fillOpacity": 0.0}),
]
