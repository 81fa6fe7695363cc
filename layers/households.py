"""Assisted households (困难群众户): sensitive personal information (《个人信息保护法》 Art. 28)."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.registry import LayerSpec
from layers.roles import CASE_WORKER

HOUSEHOLD_CATEGORIES = {
    "dibao": "低保",
    "tekun_dispersed": "特困（分散供养）",
    "tekun_central": "特困（集中供养）",
    "orphan": "孤儿",
    "disabled": "残疾",
    "elderly_alone": "独居/空巢老人",
    "left_behind_child": "留守儿童",
    "child_in_difficulty": "困境儿童",
    "temporary_relief": "临时救助",
}


class Household(FeatureMixin, Base):
    __tablename__ = "households"

    head_name: Mapped[str] = field(Text, "户主姓名", required=True, personal=True)
    phone: Mapped[str | None] = field(String(20), "联系电话", personal=True)
    address: Mapped[str | None] = field(Text, "住址", personal=True)
    categories: Mapped[list[str]] = field(ARRAY(String(32)), "救助类别", choices=HOUSEHOLD_CATEGORIES,
                                          required=True)
    members: Mapped[int] = field(Integer, "家庭人口", required=True, server_default="1", unit="人")
    has_child_under_14: Mapped[bool] = field(Boolean, "有14岁以下儿童", required=True,
                                             server_default="false")
    village_code: Mapped[str | None] = field(String(12), "所在村代码", index=True)
    geom = geometry_column("Point")


CASE_OFFICE = frozenset({CASE_WORKER})

LAYERS = [
    LayerSpec("households", "困难群众户", "困难群众户", Household, "Point", CASE_OFFICE, CASE_OFFICE,
              large=True, title_field="head_name", style={"color": "#c2185b", "radius": 3}),
]
