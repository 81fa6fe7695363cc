"""The place-name gazetteer (地名) and place-name signs (地名标志): models and code lists. The layers' declarations,
with the gazetteer's write hooks, are in ``layers.gazetteer.declaration`` (above the gazetteer's rules, which
read these models: no import cycle).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Boolean, Computed, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.roles import PLACE_NAMES_EDITOR

THEME = "地名"

NAME_STATUS = {"proposed": "拟命名", "approved": "已批准", "announced": "已公告", "historical": "历史地名"}
SURVEY_METHODS = {"measured": "实测", "graphical": "图解"}
SIGN_TYPES = {"road": "路牌", "street": "街牌", "village": "村牌", "house_number": "门牌",
              "scenic": "景点牌", "building": "楼牌", "other": "其他"}
SIGN_CONDITIONS = {"good": "完好", "damaged": "损坏", "missing": "缺失", "faded": "字迹不清"}


def _computed(expression: str, label: str) -> Any:
    return mapped_column(Text, Computed(expression, persisted=True), info={"label": label, "system": True})


class PlaceName(FeatureMixin, Base):
    __tablename__ = "place_names"

    code: Mapped[str | None] = field(String(20), "地名代码", unique=True)
    name: Mapped[str] = field(Text, "标准名称", required=True)
    specific_part: Mapped[str | None] = field(Text, "专名")
    generic_part: Mapped[str | None] = field(Text, "通名")
    pinyin: Mapped[str | None] = field(Text, "罗马字母拼写")
    # set when staff wrote the spelling themselves: regeneration (haicheng-gis pinyin regenerate) keeps it
    pinyin_manual: Mapped[bool] = field(Boolean, "拼写由人工确定", required=True, server_default="false",
                                        derived=True)
    class_code: Mapped[str] = field(String(5), "类别代码", required=True, index=True)
    township_code: Mapped[str | None] = field(String(9), "所在乡镇代码", index=True)
    village_code: Mapped[str | None] = field(String(12), "所在村代码")
    # a new name is only proposed (拟命名): approval is a lifecycle step (layers.gazetteer.lifecycle)
    status: Mapped[str] = field(String(16), "状态", choices=NAME_STATUS, required=True,
                                server_default="proposed")
    replaced_by_id: Mapped[int | None] = field(BigInteger, "现用地名编号")
    meaning: Mapped[str | None] = field(Text, "含义")
    history: Mapped[str | None] = field(Text, "历史沿革")
    description: Mapped[str | None] = field(Text, "地理实体描述")
    survey_method: Mapped[str | None] = field(String(16), "测量方法", choices=SURVEY_METHODS)
    established_year: Mapped[int | None] = field(Integer, "设立年份")
    abolished_year: Mapped[int | None] = field(Integer, "废止年份")
    approval_authority: Mapped[str | None] = field(Text, "批准机关")
    approval_doc_no: Mapped[str | None] = field(Text, "批准文号")
    approval_date: Mapped[date | None] = field(Date, "批准日期")
    announced_date: Mapped[date | None] = field(Date, "公告日期")
    # 《地名管理条例》 Art. 13: filed (备案) with the government above within 15 days of approval
    filed_date: Mapped[date | None] = field(Date, "备案日期")
    filed_to: Mapped[str | None] = field(Text, "备案机关")
    # set by the approval step: only names approved here are held to the 15-day filing/announcement deadlines
    approved_here: Mapped[bool] = field(Boolean, "在本系统批准", required=True, server_default="false", derived=True)
    culture_protected: Mapped[bool] = field(Boolean, "列入保护名录", required=True, server_default="false")
    pinyin_toned: Mapped[str | None] = field(Text, "罗马字母拼写（带声调）")
    # search keys computed by PostgreSQL from ``pinyin`` (functions of migration 0005), so rows
    # written in bulk or from QGIS have them too: "Haicheng Shi" → "haichengshi", "hcs"
    pinyin_key: Mapped[str | None] = _computed("gazetteer_pinyin_key(pinyin)", "拼音检索键")
    pinyin_initials: Mapped[str | None] = _computed("gazetteer_pinyin_initials(pinyin)", "拼音首字母")
    geom = geometry_column("Geometry")

    __table_args__ = (
        Index("ix_place_names_name_trgm", "name", postgresql_using="gin",
              postgresql_ops={"name": "gin_trgm_ops"}),
        Index("ix_place_names_pinyin_key", "pinyin_key", postgresql_ops={"pinyin_key": "text_pattern_ops"}),
        Index("ix_place_names_pinyin_initials", "pinyin_initials",
              postgresql_ops={"pinyin_initials": "text_pattern_ops"}),
        Index("ix_place_names_name_prefix", "name", postgresql_ops={"name": "text_pattern_ops"}),
    )


class PlaceNameSign(FeatureMixin, Base):
    __tablename__ = "place_name_signs"

    place_name_id: Mapped[int | None] = field(BigInteger, "地名编号", ForeignKey("place_names.id"), index=True)
    sign_type: Mapped[str] = field(String(16), "标志类型", choices=SIGN_TYPES, required=True)
    inscription: Mapped[str] = field(Text, "标志名称", required=True)
    inscription_pinyin: Mapped[str | None] = field(Text, "标志拼写")
    condition: Mapped[str | None] = field(String(16), "状况", choices=SIGN_CONDITIONS)
    installed_date: Mapped[date | None] = field(Date, "设置日期")
    inspected_date: Mapped[date | None] = field(Date, "检查日期")
    geom = geometry_column("Point")


WRITERS = frozenset({PLACE_NAMES_EDITOR})


def prepare_place_name(props: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Fill 专名/通名 and a suggested pinyin (toneless and toned) of a new record when not given; a
    spelling given by hand is flagged as such (``pinyin_manual``). Used by imports as it is.

    The township and village are derived from the geometry by the table's trigger (migration 0005).
    """
    from layers.gazetteer.pinyin import suggest

    if ctx.feature_id is not None or not props.get("name"):
        return props
    spelling = suggest(props["name"], props.get("class_code"), props.get("specific_part"), props.get("generic_part"))
    out = dict(props)
    out.setdefault("specific_part", spelling.specific or None)
    out.setdefault("generic_part", spelling.generic or None)
    if not out.get("pinyin"):
        out["pinyin"], out["pinyin_toned"] = spelling.toneless, out.get("pinyin_toned") or spelling.toned
        out["pinyin_manual"] = False
    else:
        out["pinyin_manual"] = out["pinyin"] != spelling.toneless
    return out


