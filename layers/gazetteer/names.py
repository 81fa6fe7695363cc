"""A place's other names: 别名, 简称, 历史名称, 俗称, each with time span, source and document.

The standard name lives on the place (``place_names.name``); every renaming writes the old
standard name here as a 历史名称 with its end date and the renaming document, so a search for
an old name finds the place under its current name. Rows are never deleted, only ended.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from layers.base import Base
from layers.errors import InvalidInput

VARIANT_KINDS = {"alias": "别名", "abbreviation": "简称", "historical": "历史名称", "colloquial": "俗称"}


class PlaceNameVariant(Base):
    __tablename__ = "place_name_variants"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    place_name_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("place_names.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, info={"label": "名称"})
    kind: Mapped[str] = mapped_column(String(16), nullable=False, info={"label": "类型", "choices": VARIANT_KINDS})
    pinyin: Mapped[str | None] = mapped_column(Text, info={"label": "罗马字母拼写"})
    start_date: Mapped[date | None] = mapped_column(Date, info={"label": "起用日期"})
    end_date: Mapped[date | None] = mapped_column(Date, info={"label": "停用日期"})
    source: Mapped[str | None] = mapped_column(Text, info={"label": "资料来源"})
    document: Mapped[str | None] = mapped_column(Text, info={"label": "文件（文号）"})
    # a 历史名称 left by a renaming: why it was renamed, and the filing/announcement the old name had
    # (《地名管理条例》 Art. 13/14; the new name is filed and announced anew)
    reason: Mapped[str | None] = mapped_column(Text, info={"label": "更名理由"})
    filed_date: Mapped[date | None] = mapped_column(Date, info={"label": "备案日期"})
    filed_to: Mapped[str | None] = mapped_column(Text, info={"label": "备案机关"})
    announced_date: Mapped[date | None] = mapped_column(Date, info={"label": "公告日期"})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_place_name_variants_name_trgm", "name", postgresql_using="gin",
              postgresql_ops={"name": "gin_trgm_ops"}),
    )


COLUMNS = ("id", "name", "kind", "pinyin", "start_date", "end_date", "source", "document", "reason", "filed_date",
           "filed_to", "announced_date")


def add_variant(conn: Connection, place_name_id: int, name: str, kind: str, *, pinyin: str | None = None,
                start_date: date | None = None, end_date: date | None = None, source: str | None = None,
                document: str | None = None, renaming: dict[str, Any] | None = None) -> int:
    """Record another name of a place; returns the variant's id. ``renaming``: the ``reason`` and the old
    name's ``filed_date``, ``filed_to`` and ``announced_date`` when a renaming leaves it.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("名称不能为空", "variant name is empty", field="name")
    if kind not in VARIANT_KINDS:
        raise InvalidInput("名称类型应为：" + "、".join(f"{k}（{v}）" for k, v in VARIANT_KINDS.items()),
                           f"unknown variant kind {kind!r}", field="kind")
    if start_date and end_date and end_date < start_date:
        raise InvalidInput("停用日期早于起用日期", "end_date before start_date", field="end_date")
    return conn.execute(text(
        "INSERT INTO place_name_variants (place_name_id, name, kind, pinyin, start_date, end_date, source, "
        "document, reason, filed_date, filed_to, announced_date, created_by) VALUES (:p, :name, :kind, :pinyin, "
        ":start, :end, :source, :document, :reason, :filed_date, :filed_to, :announced_date, gis_acting_user()) "
        "RETURNING id"),
        {"p": place_name_id, "name": name, "kind": kind, "pinyin": pinyin, "start": start_date, "end": end_date,
         "source": source, "document": document,
         **{k: (renaming or {}).get(k) for k in ("reason", "filed_date", "filed_to", "announced_date")}}).scalar_one()


def variants_of(conn: Connection, place_name_id: int) -> list[dict[str, Any]]:
    """The place's other names, oldest first, with the kind's Chinese title."""
    rows = conn.execute(text(
        f"SELECT {', '.join(COLUMNS)} FROM place_name_variants WHERE place_name_id = :p "
        "ORDER BY coalesce(end_date, start_date, DATE '9999-12-31'), id"), {"p": place_name_id}).mappings().all()
    return [{**{k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()},
             "kind_title": VARIANT_KINDS[row["kind"]]} for row in rows]
