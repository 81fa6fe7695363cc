"""Administrative boundary lines (行政区域界线) and boundary markers (界桩)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.errors import InvalidInput
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
    length_m: Mapped[float | None] = field(Float, "长度", unit="m", minimum=0)  # a length: never negative
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
    accuracy_m: Mapped[float | None] = field(Float, "点位精度", unit="m", minimum=0)  # an error bound
    managing_side: Mapped[str | None] = field(Text, "管护方")
    reference_objects: Mapped[list | None] = field(JSONB, "方位物")
    registered_date: Mapped[date | None] = field(Date, "登记日期")
    # the document that allowed the current registered position (agreement, joint re-survey record);
    # every change of position is a new version in feature_history, with this and the reason
    position_doc: Mapped[str | None] = field(Text, "点位依据文件")
    geom = geometry_column("Point")

    __table_args__ = (
        # a number is unique on its line among the markers in service
        Index("uq_boundary_markers_line_number", "line_id", "number", unique=True,
              postgresql_where=text("retired_at IS NULL")),
    )


WRITERS = frozenset({BOUNDARY_SURVEYOR})


def next_inspection_date(last: date, years: int = INSPECTION_CYCLE_YEARS) -> date:
    """The date of the next regular joint inspection (29 February falls back to the 28th).

    >>> next_inspection_date(date(2019, 10, 15)), next_inspection_date(date(2020, 2, 29))
    (datetime.date(2024, 10, 15), datetime.date(2025, 2, 28))
    """
    try:
        return last.replace(year=last.year + years)
    except ValueError:
        return last.replace(year=last.year + years, day=28)


def check_reference_objects(objects: Any) -> list[dict[str, Any]] | None:
    """方位物: a list of ``{"name", "bearing_deg" (0–360, clockwise from north), "distance_m" (> 0)}``.

    >>> check_reference_objects([{"name": "独立树", "bearing_deg": 45, "distance_m": 12.5}])
    [{'name': '独立树', 'bearing_deg': 45.0, 'distance_m': 12.5}]
    >>> check_reference_objects([{"name": "", "bearing_deg": 400, "distance_m": 5}])
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: reference object 1: name, bearing_deg in [0, 360) and distance_m > 0 are required
    """
    if objects is None:
        return None
    if not isinstance(objects, list):
        raise InvalidInput("方位物应为列表", "reference_objects must be a list", field="reference_objects")
    out = []
    for i, item in enumerate(objects, 1):
        try:
            name = str(item["name"]).strip()
            bearing, distance = float(item["bearing_deg"]), float(item["distance_m"])
        except (KeyError, TypeError, ValueError):
            name, bearing, distance = "", -1.0, -1.0
        if not name or not (0 <= bearing < 360) or not (distance > 0) or not math.isfinite(distance):
            raise InvalidInput(f"第 {i} 个方位物应有名称、方位角（0–360°，自北顺时针）和距离（大于 0 米）",
                               f"reference object {i}: name, bearing_deg in [0, 360) and distance_m > 0 are required",
                               field="reference_objects")
        extra = {k: v for k, v in item.items() if k not in ("name", "bearing_deg", "distance_m")}
        out.append({"name": name, "bearing_deg": bearing, "distance_m": distance, **extra})
    return out


def _prepare_marker(props: dict[str, Any], ctx: Any) -> dict[str, Any]:
    if "reference_objects" in props:
        props = {**props, "reference_objects": check_reference_objects(props["reference_objects"])}
    return props


LAYERS = [
    LayerSpec("boundary_lines", "行政区域界线", THEME, BoundaryLine, "MultiLineString", EVERYONE, WRITERS,
              natural_key=("name",), style={"color": "#8e24aa", "weight": 3, "dashArray": "8 4"}),
    LayerSpec("boundary_markers", "界桩", THEME, BoundaryMarker, "Point", EVERYONE, WRITERS,
              natural_key=("line_id", "number"), title_field="number",
              style={"color": "#6a1b9a", "radius": 5}, prepare_write=_prepare_marker),
]
