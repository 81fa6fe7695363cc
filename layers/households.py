"""Assisted households (困难群众户): sensitive personal information (《个人信息保护法》 Art. 28)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped

from layers.base import NAME_MAX_LENGTH, Base, FeatureMixin, field, geometry_column
from layers.features import WriteContext
from layers.privacy import mask_id_number, validate_id_number
from layers.registry import FieldSpec, LayerSpec
from layers.roles import CASE_WORKER
from layers.write_checks import Duplicate, readable_record

# Legal bases of the categories added in migration 0021:
# - 事实无人抚养儿童: 民政部等《关于进一步加强事实无人抚养儿童保障工作的意见》（民发〔2019〕62号）;
# - 低保边缘家庭: 《社会救助暂行办法》（国务院令第649号）的社会救助体系；认定按民政部等
#   《最低生活保障边缘家庭和刚性支出困难家庭认定办法》（2024）;
# - 重度残疾: GB/T 26341-2010《残疾人残疾分类和分级》的一级、二级残疾;
# - 孤儿 is split as the 孤儿基本生活费 is paid: 散居孤儿 (stored code ``orphan``, the meaning the
#   existing rows had in practice: living with relatives in a village) and 机构孤儿 (in a welfare home).
HOUSEHOLD_CATEGORIES = {
    "dibao": "低保",
    "dibao_marginal": "低保边缘家庭",
    "tekun_dispersed": "特困（分散供养）",
    "tekun_central": "特困（集中供养）",
    "orphan": "散居孤儿",
    "orphan_institutional": "机构孤儿",
    "de_facto_unsupported_child": "事实无人抚养儿童",
    "disabled": "残疾",
    "severely_disabled": "重度残疾（一、二级）",
    "elderly_alone": "独居/空巢老人",
    "left_behind_child": "留守儿童",
    "child_in_difficulty": "困境儿童",
    "temporary_relief": "临时救助",
}
TEKUN_CATEGORIES = ("tekun_dispersed", "tekun_central")


class Household(FeatureMixin, Base):
    __tablename__ = "households"

    head_name: Mapped[str] = field(Text, "户主姓名", required=True, personal=True, mask="name",
                                   max_length=NAME_MAX_LENGTH, aliases=("户主", "姓名"))
    # written from the ``id_number`` input by prepare_household, never by clients
    id_number_masked: Mapped[str | None] = field(String(18), "身份证号码", personal=True, derived=True)
    phone: Mapped[str | None] = field(String(20), "联系电话", personal=True, mask="phone",
                                          aliases=("电话", "手机", "手机号", "tel"))
    address: Mapped[str | None] = field(Text, "住址", personal=True, mask="address",
                                           aliases=("地址", "家庭住址"))
    categories: Mapped[list[str]] = field(ARRAY(String(32)), "救助类别", choices=HOUSEHOLD_CATEGORIES,
                                          required=True, aliases=("类别", "保障类别"))
    # at least the head of the household; 50 is a local plausibility bound (no rule fixes one)
    members: Mapped[int] = field(Integer, "家庭人口", required=True, server_default="1", unit="人",
                                 aliases=("人口", "家庭人数", "人数"),
                                 minimum=1, maximum=50)
    # 特困 persons in the household (a 特困 household may have members who are not 特困); NULL = 1 when
    # the household is 特困. The bound is the members' one (checked against members in prepare_household).
    special_care_persons: Mapped[int | None] = field(Integer, "特困人员数", unit="人", minimum=0, maximum=50)
    has_child_under_14: Mapped[bool] = field(Boolean, "有14岁以下儿童", required=True, server_default="false")
    village_code: Mapped[str | None] = field(String(12), "所在村代码", index=True, references="villages")
    # the number itself only encrypted, and a keyed hash to find duplicates (never in output)
    id_number_cipher: Mapped[bytes | None] = field(LargeBinary, "身份证号码（密文）", personal=True, hidden=True)
    id_number_hash: Mapped[str | None] = field(String(64), "身份证号码（匹配摘要）", personal=True, hidden=True)
    geom = geometry_column("Point")

    __table_args__ = (
        # one live household per ID number, also for restores and edits made in SQL (migration 0010)
        Index("ix_households_id_number_hash", "id_number_hash", unique=True,
              postgresql_where=text("retired_at IS NULL")),
    )


ID_NUMBER_INPUT = FieldSpec(name="id_number", label="身份证号码", type="string", personal=True, max_length=18,
                            aliases=("身份证", "身份证号", "公民身份号码", "idno"))


def prepare_household(properties: dict[str, Any], ctx: WriteContext) -> dict[str, Any]:
    """Turn a clear ID number into its cipher, matching hash and masked form; refuse duplicates.

    Runs after every other field was checked (``layers.write_checks``); the duplicate answer names the
    household only to a caller who may read it (not a child's household for an administrator).
    """
    if "id_number" not in properties:
        return properties
    out = dict(properties)
    number = out.pop("id_number")
    if number is None:
        return {**out, "id_number_cipher": None, "id_number_hash": None, "id_number_masked": None}
    number = validate_id_number(number)
    digest = ctx.cipher.match_hash(number)
    if ctx.guard is not None:
        ctx.guard()
    duplicate = None if digest in ctx.checked_unique else ctx.conn.execute(
        text("SELECT id FROM households WHERE id_number_hash = :h AND retired_at IS NULL AND id <> :id"),
        {"h": digest, "id": ctx.feature_id or 0}).scalar()
    if duplicate is not None:
        record = readable_record(ctx.conn, HOUSEHOLDS, ctx, duplicate)
        if record is None:  # the same words as the database's own refusal (gis_server.errors)
            raise Duplicate("该身份证号码已登记在另一户在册的困难群众户中", "ID number already registered",
                            field="id_number")
        raise Duplicate(f"该身份证号码已登记在{record} 的困难群众户中", "ID number already registered",
                        field="id_number", existing_id=duplicate)
    return {**out, "id_number_cipher": ctx.cipher.encrypt(number), "id_number_hash": digest,
            "id_number_masked": mask_id_number(number)}


def revealed_id_numbers(conn: Any, ids: list[int], cipher: Any) -> dict[int, dict[str, Any]]:
    """The decrypted ``id_number`` of each of ``ids`` (one query, for a full export)."""
    rows = conn.execute(text("SELECT id, id_number_cipher FROM households WHERE id = ANY(:ids)"), {"ids": ids})
    return {row[0]: {"id_number": cipher.decrypt(row[1]) if row[1] is not None else None} for row in rows}


def reveal_household(conn: Any, feature_id: int, feature_json: str, cipher: Any) -> str:
    """Add the decrypted ``id_number`` to a revealed household."""
    feature = json.loads(feature_json)
    feature["properties"].update(revealed_id_numbers(conn, [feature_id], cipher).get(feature_id, {"id_number": None}))
    return json.dumps(feature, ensure_ascii=False)


CASE_OFFICE = frozenset({CASE_WORKER})
# categories that are children by definition: kept off shared maps even if the flag was left unticked
CHILD_CATEGORIES = ("orphan", "orphan_institutional", "de_facto_unsupported_child", "left_behind_child",
                    "child_in_difficulty")
CHILD_HOUSEHOLDS = ("({t}.has_child_under_14 OR {t}.categories::text[] && ARRAY["
                    + ", ".join(f"'{c}'" for c in CHILD_CATEGORIES) + "])")

HOUSEHOLDS = LayerSpec(
    "households", "困难群众户", "困难群众户", Household, "Point", CASE_OFFICE, CASE_OFFICE,
    large=True, title_field="head_name", style={"color": "#c2185b", "radius": 3},
    reveal_roles=CASE_OFFICE, shared_map_filter=f"NOT {CHILD_HOUSEHOLDS}",
    input_fields=(ID_NUMBER_INPUT,), prepare_write=prepare_household, reveal_hook=reveal_household,
    reveal_values=revealed_id_numbers)

LAYERS = [HOUSEHOLDS]
