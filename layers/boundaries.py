"""Administrative boundary lines (行政区域界线) and boundary markers (界桩)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import LayerSpec
from layers.roles import BOUNDARY_SURVEYOR, EVERYONE

THEME = "界线界桩"

LINE_LEVELS = {"county": "县级界线", "township": "乡级界线"}
MARKER_TYPES = {"single": "单立", "double": "同号双立", "triple": "同号三立"}
MARKER_MATERIALS = {"granite": "花岗岩", "concrete": "钢筋混凝土", "metal": "金属", "other": "其他"}
SURVEY_METHODS = {"gnss_rtk": "GNSS RTK", "gnss_static": "GNSS 静态", "total_station": "全站仪",
                  "map": "图上量取"}
INSPECTION_CYCLE_YEARS = 5  # 《行政区域界线管理条例》 Art. 12


class BoundaryLine(FeatureMixin, Base):
    __tablename__ = "boundary_lines"

    name: Mapped[str] = field(Text, "界线名称", required=True)
    line_level: Mapped[str] = field(String(16), "界线级别", choices=LINE_LEVELS, required=True)
    side_a: Mapped[str] = field(Text, "甲方", required=True)
    side_b: Mapped[str] = field(Text, "乙方", required=True)
    agreement_ref: Mapped[str | None] = field(Text, "界线协议书")
    approval_doc: Mapped[str | None] = field(Text, "批准文件")
    length_m: Mapped[float | None] = field(Float, "长度", unit="m")
    last_inspection_date: Mapped[date | None] = field(Date, "上次联检日期")
    next_inspection_date: Mapped[date | None] = field(Date, "下次联检日期")
    geom = geometry_column("MultiLineString")


class BoundaryMarker(FeatureMixin, Base):
    __tablename__ = "boundary_markers"

    line_id: Mapped[int] = field(BigInteger, "所在界线编号", ForeignKey("boundary_lines.id"), required=True,
                                 index=True)
    number: Mapped[str] = field(Text, "界桩号", required=True)
    marker_type: Mapped[str] = field(String(16), "界桩类型", choices=MARKER_TYPES, required=True)
    material: Mapped[str | None] = field(String(16), "材质", choices=MARKER_MATERIALS)
    survey_method: Mapped[str | None] = field(String(16), "测量方法", choices=SURVEY_METHODS)
    accuracy_m: Mapped[float | None] = field(Float, "点位精度", unit="m")
    managing_side: Mapped[str | None] = field(Text, "管护方")
    reference_objects: Mapped[list | None] = field(JSONB, "方位物")
    registered_date: Mapped[date | None] = field(Date, "登记日期")
    geom = geometry_column("Point")

    __table_args__ = (
        # a number is unique on its line among the markers in service
        Index("uq_boundary_markers_line_number", "line_id", "number", unique=True,
              postgresql_where=text("retired_at IS NULL")),
    )


WRITERS = frozenset({BOUNDARY_SURVEYOR})

LAYERS = [
    LayerSpec("boundary_lines", "行政区域界线", THEME, BoundaryLine, "MultiLineString", EVERYONE, WRITERS,
              natural_key=("name",), style={"color": "#8e24aa", "weight": 3, "dashArray": "8 4"}),
    LayerSpec("boundary_markers", "界桩", THEME, BoundaryMarker, "Point", EVERYONE, WRITERS,
              natural_key=("line_id", "number"), title_field="number",
              style={"color": "#6a1b9a", "radius": 5}),
]
