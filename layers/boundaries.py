"""Administrative boundary lines (行政区域界线) and boundary markers (界桩)."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Computed, Date, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.base import Base, FeatureMixin, field, geometry_column
from layers.errors import Conflict, InvalidInput
from layers.registry import LayerSpec
from layers.roles import BOUNDARY_SURVEYOR, EVERYONE

if TYPE_CHECKING:
    from layers.features import ProposedWrite

THEME = "界线界桩"

LINE_LEVELS = {"county": "县级界线", "township": "乡级界线"}
MARKER_TYPES = {"single": "单立", "double": "同号双立", "triple": "同号三立"}
MARKER_MATERIALS = {"granite": "花岗岩", "concrete": "钢筋混凝土", "metal": "金属", "other": "其他"}
SURVEY_METHODS = {"gnss_rtk": "GNSS RTK", "gnss_static": "GNSS 静态", "total_station": "全站仪",
                  "map": "图上量取"}
INSPECTION_CYCLE_YEARS = 5  # 《行政区域界线管理条例》 Art. 12
# 方位物 per marker: "一般不少于 3 个" (民政部令第28号 Art. 3, DOMAIN.md §4 [report]); the same value as
# data/inspections/defaults.json min_reference_objects (a test keeps them equal). The warning column below is
# computed by the database from it: changing it takes a migration.
MIN_REFERENCE_OBJECTS = 3
_REFERENCE_COUNT = ("(CASE WHEN jsonb_typeof(reference_objects) = 'array' "
                    "THEN jsonb_array_length(reference_objects) ELSE 0 END)")
REFERENCE_WARNING_SQL = (
    f"CASE WHEN {_REFERENCE_COUNT} < {MIN_REFERENCE_OBJECTS} THEN '方位物仅 ' || {_REFERENCE_COUNT}::text || "
    f"' 个，少于 {MIN_REFERENCE_OBJECTS} 个（民政部令第28号第三条：一般不少于 {MIN_REFERENCE_OBJECTS} 个），"
    "请外业补测' END")


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
    # computed by the database whoever writes the row (QGIS too), so every page that shows the marker —
    # record page, popup, lists, exports, inspection pages, field form — carries the same warning
    reference_warning: Mapped[str | None] = mapped_column(Text, Computed(REFERENCE_WARNING_SQL),
                                                          info={"label": "方位物提示", "system": True,
                                                                "notice": True})
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


# Number suffix (类型码) by type: 单立 Q, 同号双立 A/B, 同号三立 C/D/E — the technical rules for surveying
# boundaries (a full number = line number + sequence + type code); whether the county's lines follow the
# provincial scheme is not confirmed (DOMAIN.md §4, open question 6).
SUFFIX_BASIS = "国务院勘界工作领导小组办公室《省级行政区域界线勘界测绘技术规定》界桩编号类型码（县级界线参照执行）"
MARKER_SUFFIXES = {"single": "Q", "double": "AB", "triple": "CDE"}
RESURVEY_ROUTE = "POST /api/inspections/markers/{id}/resurvey"
MOVE_BASIS = "《行政区域界线管理条例》第六条：界桩不得擅自移动，需移动的须双方协商一致、共同测绘并备案"
SAME_POSITION_M = 0.001  # below any survey's precision: a PUT that sends the stored point back is no move


def normalize_number(number: Any) -> Any:
    """A marker number as stored: trimmed, its type letter upper-case.

    >>> normalize_number(" 004a "), normalize_number("甲12"), normalize_number(None)
    ('004A', '甲12', None)
    """
    if not isinstance(number, str):
        return number
    number = number.strip()
    return number[:-1] + number[-1].upper() if number[-1:].isascii() and number[-1:].isalpha() else number


def check_number(number: str, marker_type: str) -> str:
    """The number's base (without its type letter), if its suffix fits the type.

    A trailing Latin letter is the type letter and must be one of the type's; 同号双立/三立 markers must carry
    one (twins share the number). A 单立 number may omit its Q: the county's own scheme is not confirmed
    (DOMAIN.md §4: keep the number as free text, unique per line).

    >>> check_number("001Q", "single"), check_number("001", "single"), check_number("004B", "double")
    ('001', '001', '004')
    >>> check_number("004A", "single")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: marker number 004A does not fit type single (suffix Q)
    """
    letters = MARKER_SUFFIXES.get(marker_type)
    if letters is None:  # an unknown type is refused by the field's choices
        return number
    suffix = number[-1:] if number[-1:].isascii() and number[-1:].isalpha() else ""
    if suffix.upper() in letters and suffix and number[:-1]:
        return number[:-1]
    if not suffix and marker_type == "single":
        return number
    title, wanted = MARKER_TYPES[marker_type], "、".join(letters)
    raise InvalidInput(f"界桩号“{number}”与界桩类型“{title}”不符：{title}界桩的编号应以 {wanted} 结尾"
                       f"（如 004{letters[0]}；单立 Q、同号双立 A/B、同号三立 C/D/E；依据：{SUFFIX_BASIS}）",
                       f"marker number {number} does not fit type {marker_type} (suffix {'/'.join(letters)})",
                       field="number")


def check_marker_values(props: dict[str, Any]) -> dict[str, Any]:
    """A marker's own values checked and normalised (the spec's ``check_values``).

    >>> check_marker_values({"number": "004a", "marker_type": "double"})
    {'number': '004A', 'marker_type': 'double'}
    """
    if "reference_objects" in props:
        props = {**props, "reference_objects": check_reference_objects(props["reference_objects"])}
    if "number" in props:
        props = {**props, "number": normalize_number(props["number"])}
        if isinstance(props["number"], str) and isinstance(props.get("marker_type"), str):
            check_number(props["number"], props["marker_type"])
    return props


def _prepare_marker(props: dict[str, Any], ctx: Any) -> dict[str, Any]:
    return check_marker_values(props)


def _refuse_move(feature_id: int, what: str, field_name: str) -> InvalidInput:
    return InvalidInput(
        f"界桩{what}只能经复测变更：请通过复测（{RESURVEY_ROUTE.format(id=feature_id)}）提交批准文件号和界线双方的"
        f"确认（确认人、日期）（{MOVE_BASIS}）",
        f"the {field_name} of a boundary marker changes only through a re-survey "
        f"({RESURVEY_ROUTE.format(id=feature_id)})", field=field_name)


def validate_marker_write(write: ProposedWrite) -> None:
    """The marker's rules on every write: number fits type and is
    unique on its line; position and its document change only through a re-survey.
    """
    conn, props = write.conn, write.properties
    current: dict[str, Any] = {}
    if write.feature_id is not None:
        row = conn.execute(text(
            f"SELECT line_id, number, marker_type, position_doc, ST_Distance(ST_Transform(geom, {METRIC_SRID}), "
            f"ST_Transform(ST_GeomFromWKB(CAST(:wkb AS bytea), {STORAGE_SRID}), {METRIC_SRID})) AS moved_m "
            "FROM boundary_markers WHERE id = :id"),
            {"id": write.feature_id, "wkb": write.geom.wkb if write.geom is not None else None}).mappings().first()
        if row is None:
            return  # the write itself says it is not found
        current = dict(row)
        if write.workflow != "resurvey":
            if current["moved_m"] is not None and current["moved_m"] > SAME_POSITION_M:
                raise _refuse_move(write.feature_id, "位置", "geometry")
            if "position_doc" in props and (props["position_doc"] or None) != current["position_doc"]:
                raise _refuse_move(write.feature_id, "点位依据文件", "position_doc")
    line_id = props.get("line_id", current.get("line_id"))
    number = normalize_number(props.get("number", current.get("number")))
    marker_type = props.get("marker_type", current.get("marker_type"))
    if not isinstance(number, str) or not number or not isinstance(marker_type, str):
        return  # required fields are checked by the schema
    base = check_number(number, marker_type)
    others = conn.execute(text(
        "SELECT m.id, m.number, m.marker_type, l.name AS line_name, m.retired_at IS NOT NULL AS retired "
        "FROM boundary_markers m JOIN boundary_lines l ON l.id = m.line_id WHERE m.line_id = :line "
        "AND m.id IS DISTINCT FROM :id AND (m.number = :number OR (m.retired_at IS NULL "
        "AND left(m.number, length(m.number) - 1) = :base)) ORDER BY m.retired_at IS NOT NULL, m.id"),
        {"line": line_id, "id": write.feature_id, "number": number, "base": base}).mappings().all()
    for other in others:
        if other["retired"]:
            # a new marker under a retired one's number would move that marker without a re-survey
            raise Conflict(f"界线“{other['line_name']}”上的界桩号“{number}”属于已注销的界桩（编号 {other['id']}）："
                           f"请在其历史中恢复原界桩；界桩位置只能经复测变更（{MOVE_BASIS}）",
                           f"marker number {number} belongs to retired marker {other['id']} on line {line_id}",
                           field="number")
        if other["number"] == number:
            raise Conflict(f"界线“{other['line_name']}”上已有界桩号“{number}”（编号 {other['id']}）："
                           "同一界线上界桩号不得重复",
                           f"marker number {number} already used on line {line_id} by {other['id']}",
                           field="number")
        if other["marker_type"] != marker_type and check_number_fits(other["number"], base):
            raise InvalidInput(
                f"界线“{other['line_name']}”上同号界桩“{other['number']}”为{MARKER_TYPES.get(other['marker_type'])}，"
                f"“{number}”不能为{MARKER_TYPES[marker_type]}：同号界桩类型应一致",
                f"markers numbered {base} on line {line_id} must share one type", field="marker_type")


def check_number_fits(number: str, base: str) -> bool:
    """Whether ``number`` is ``base`` plus a type letter (004A, 004B of 004; not 0041)."""
    return number[:-1] == base and number[-1:].isascii() and number[-1:].isalpha()


LAYERS = [
    LayerSpec("boundary_lines", "行政区域界线", THEME, BoundaryLine, "MultiLineString", EVERYONE, WRITERS,
              natural_key=("name",), style={"color": "#8e24aa", "weight": 3, "dashArray": "8 4"}),
    LayerSpec("boundary_markers", "界桩", THEME, BoundaryMarker, "Point", EVERYONE, WRITERS,
              natural_key=("line_id", "number"), title_field="number",
              style={"color": "#6a1b9a", "radius": 5}, prepare_write=_prepare_marker, check_values=check_marker_values,
              validate_write=validate_marker_write),
]
