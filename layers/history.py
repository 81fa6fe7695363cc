"""Feature history, kept by database triggers so that every writer is versioned.

The trigger functions are created by migrations ``0001`` (``gis_before_write``) and ``0031``
(``gis_history_rows``). Each write to a layer table bumps ``version`` (BEFORE trigger, per row) and appends a
snapshot of each new row to ``feature_history`` (AFTER trigger, once per statement for all its rows, from the
statement's transition tables), with the acting user, the operation and
the reason taken from transaction-local settings (``gis.user``, ``gis.reason``,
``gis.operation``) that the service sets per transaction. Edits made straight in PostGIS
(QGIS) are recorded with the database user's name.

There is no switch that skips the history. The audit trigger's bulk switch (``gis.bulk = on``: one
summary entry for a whole load instead of one per row, migration ``0002``) counts only for the tables'
owner since migration ``0013``: the service's role setting it is audited row by row all the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from formats.srids import STORAGE_SRID
from layers.base import Base


class FeatureHistory(Base):
    __tablename__ = "feature_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    layer: Mapped[str] = mapped_column(Text, nullable=False)
    feature_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    operation: Mapped[str] = mapped_column(String(16), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=func.now())
    changed_by: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False))

    __table_args__ = (Index("ix_feature_history_feature", "layer", "feature_id", "version"),)


OPERATION_TITLES = {"insert": "新建", "update": "修改", "retire": "注销", "restore": "恢复", "delete": "删除"}
