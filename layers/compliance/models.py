"""Tables of continuous compliance (migration 0025): the change queue and log, each record's last check,
and the findings (the 待办 items).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.base import Base

_CLOCK = text("clock_timestamp()")


class ComplianceChange(Base):
    """One change of a watched layer (written by triggers); pending while ``processed_at`` is empty."""

    __tablename__ = "compliance_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)  # the layer, or siting_rule_set_versions
    feature_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    version: Mapped[int | None] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(16), nullable=False)
    history_id: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=_CLOCK)
    changed_by: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (Index("ix_compliance_changes_pending", "id", postgresql_where=text("processed_at IS NULL")),
                      Index("ix_compliance_changes_changed_at", "changed_at"))


class ComplianceStatus(Base):
    """The last check of one record against one rule: the "before" of the next change."""

    __tablename__ = "compliance_status"

    record_layer: Mapped[str] = mapped_column(Text, primary_key=True)
    record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rule: Mapped[str] = mapped_column(Text, primary_key=True)
    distance_m: Mapped[float | None] = mapped_column(Float)
    violated: Mapped[bool] = mapped_column(Boolean, nullable=False)
    nearest_id: Mapped[int | None] = mapped_column(BigInteger)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=_CLOCK)


class ComplianceFinding(Base):
    """What a change caused for one record: a 待办 item of one topic (siting, sign, marker, coverage)."""

    __tablename__ = "compliance_findings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    topic: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    record_layer: Mapped[str] = mapped_column(Text, nullable=False)
    record_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    record_name: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str | None] = mapped_column(Text)
    rule_label: Mapped[str | None] = mapped_column(Text)
    change_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("compliance_changes.id"))
    cause_layer: Mapped[str | None] = mapped_column(Text)
    cause_id: Mapped[int | None] = mapped_column(BigInteger)
    distance_before_m: Mapped[float | None] = mapped_column(Float)
    distance_after_m: Mapped[float | None] = mapped_column(Float)
    required_m: Mapped[float | None] = mapped_column(Float)
    basis: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=_CLOCK)
    state: Mapped[str] = mapped_column(String(16), nullable=False, server_default="open")
    note: Mapped[str | None] = mapped_column(Text)
    acted_by: Mapped[str | None] = mapped_column(Text)
    acted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("state IN ('open', 'acknowledged', 'resolved')", name="state"),
        CheckConstraint("char_length(note) <= 2000", name="note_length"),
        Index("ix_compliance_findings_open", "topic", "state"),
        Index("ix_compliance_findings_record", "record_layer", "record_id", "rule"),
        Index("ix_compliance_findings_change", "change_id"),
    )
