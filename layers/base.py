"""Declarative base, the columns every feature row carries, and the field helper.

Field metadata (Chinese label, allowed values, personal data) lives in the column's ``info``
so the model is the single source for the API schemas, the forms and the map legend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Integer, MetaData, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from formats.srids import STORAGE_SRID

# Local parameters (no standard fixes them): the longest text a client may send to a Text column
# without a declared length, and to a layer's title field (a name). Longer texts were a 30 MB name
# served to every user (issue 13).
TEXT_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def field(
    type_: Any,
    label: str,
    *args: Any,
    choices: dict[str, str] | None = None,
    required: bool = False,
    personal: bool = False,
    mask: str | None = None,
    hidden: bool = False,
    derived: bool = False,
    unit: str | None = None,
    max_length: int | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    references: str | None = None,
    aliases: tuple[str, ...] = (),
    **kw: Any,
) -> Any:
    """A layer attribute: a column with its Chinese label and validation hints in ``info``.

    ``personal`` marks personal data; ``mask`` names how it is masked in output
    (``layers.masks.SQL_MASKS``); ``hidden`` columns are never output nor set by clients;
    ``derived`` ones are output but set only by the layer's write hook (e.g. a masked ID number).
    ``max_length`` bounds a text (default: the column's length, else :data:`TEXT_MAX_LENGTH`);
    ``minimum``/``maximum`` bound a number (inclusive); ``references`` names the layer whose live
    ``code`` a value must be (e.g. ``"villages"``). ``aliases``: other headers an imported file may
    give the field under (besides its name and label), as bureaus' tables write them.
    """
    info: dict[str, Any] = {"label": label, "required": required, "personal": personal, "hidden": hidden}
    if derived:
        info["derived"] = True
    if mask:
        info["mask"] = mask
    if choices:
        info["choices"] = choices
    if unit:
        info["unit"] = unit
    if aliases:
        info["aliases"] = aliases
    for key, value in (("max_length", max_length), ("minimum", minimum), ("maximum", maximum),
                       ("references", references)):
        if value is not None:
            info[key] = value
    return mapped_column(type_, *args, nullable=not required, info=info, **kw)


def _system(type_: Any, label: str, **kw: Any) -> Any:
    # sort_order puts the bookkeeping columns after the layer's own in every table
    return mapped_column(type_, info={"label": label, "system": True}, sort_order=1000, **kw)


class FeatureMixin:
    """Identity, optimistic-locking version, provenance and soft-delete columns.

    ``version``, ``updated_*`` and the history rows are maintained by database triggers
    (see ``layers.history``), so edits made straight in PostGIS are versioned too.
    """

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True, sort_order=-1,
                                    info={"label": "编号", "system": True})
    version: Mapped[int] = _system(Integer, "版本", nullable=False, server_default="1")
    source: Mapped[str] = _system(String(32), "数据来源", nullable=False, server_default="user")
    created_at: Mapped[datetime] = _system(DateTime(timezone=True), "创建时间", nullable=False,
                                           server_default=func.now())
    created_by: Mapped[str | None] = _system(Text, "创建人")
    updated_at: Mapped[datetime] = _system(DateTime(timezone=True), "更新时间", nullable=False,
                                           server_default=func.now())
    updated_by: Mapped[str | None] = _system(Text, "更新人")
    retired_at: Mapped[datetime | None] = _system(DateTime(timezone=True), "注销时间")
    retired_reason: Mapped[str | None] = _system(Text, "注销原因")


def created_now() -> Any:
    """A timestamp column the database fills with the time of the insert."""
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def geometry_column(geometry_type: str) -> Any:
    """The ``geom`` column: SRID 4490 with a GiST index (GeoAlchemy2 creates it)."""
    from geoalchemy2 import Geometry

    return mapped_column(Geometry(geometry_type.upper(), srid=STORAGE_SRID, spatial_index=True),
                         nullable=False, sort_order=999, info={"label": "几何", "system": True})
