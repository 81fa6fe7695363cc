"""Each layer table's data version: one more for every statement that writes the table.

A statement trigger (migration 0026) bumps the table's row in the writing transaction, so the new
version becomes visible exactly when the new data does: a reader that sees version v sees at least
the data of v. Caches of what is derived from a layer (the map's tiles) key on it and never serve a
stale answer. A table without a row has no trigger: nothing derived from it may be cached.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Text
from sqlalchemy.orm import Mapped, mapped_column

from layers.base import Base


class LayerDataVersion(Base):
    __tablename__ = "layer_data_versions"

    layer_table: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class LayerDataChange(Base):
    """Where the write that made ``version`` of ``layer_table`` happened (migration 0029): the extent
    in EPSG:4490 of the rows written, old and new geometries; NULL bounds when no drawn geometry
    changed. A version without a row changed an unknown place (TRUNCATE, or pruned).
    """

    __tablename__ = "layer_data_changes"

    layer_table: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    west: Mapped[float | None] = mapped_column(Float(precision=53))
    south: Mapped[float | None] = mapped_column(Float(precision=53))
    east: Mapped[float | None] = mapped_column(Float(precision=53))
    north: Mapped[float | None] = mapped_column(Float(precision=53))
