"""Tables of the siting module: rule sets (versioned), candidate sites, parameters, suitable land.

Not registry layers: candidate sites move through a status workflow of their own (each step is a
row of ``candidate_site_events``) and carry a frozen compliance report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from formats.srids import STORAGE_SRID
from layers.base import Base, created_now


class RuleSet(Base):
    """A named rule set; its content lives in immutable versions."""

    __tablename__ = "siting_rule_sets"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("uq_siting_rule_sets_default", "is_default", unique=True,
                            postgresql_where=text("is_default")),)


class RuleSetVersion(Base):
    """One version of a rule set: the full list of rules, never changed after it is written."""

    __tablename__ = "siting_rule_set_versions"

    rule_set_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("siting_rule_sets.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(Text)


class CandidateSite(Base):
    """A checked site saved for a village, with its report frozen at the time of saving."""

    __tablename__ = "candidate_sites"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    village_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    township_code: Mapped[str | None] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(24), nullable=False, server_default="candidate")
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    area_m2: Mapped[float | None] = mapped_column(Float)
    rule_set_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rule_set_version: Mapped[int] = mapped_column(Integer, nullable=False)
    compliant: Mapped[bool] = mapped_column(Boolean, nullable=False)
    report: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = created_now()
    updated_by: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=True), nullable=False)

    __table_args__ = (ForeignKeyConstraint(["rule_set_id", "rule_set_version"],
                                           ["siting_rule_set_versions.rule_set_id",
                                            "siting_rule_set_versions.version"],
                                           name="fk_candidate_sites_rule_set_version"),)


class CandidateSiteEvent(Base):
    """One step of a candidate's workflow (also its creation): who, when, from → to, why."""

    __tablename__ = "candidate_site_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("candidate_sites.id"), nullable=False,
                                              index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24), nullable=False)
    at: Mapped[datetime] = created_now()
    by: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class SitingParameters(Base):
    """Coverage/sizing parameters: scope ``county`` or a village code (overrides the county values)."""

    __tablename__ = "siting_parameters"

    scope: Mapped[str] = mapped_column(String(12), primary_key=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = created_now()
    updated_by: Mapped[str | None] = mapped_column(Text)


class SuitableLand(Base):
    """Suitable land of the whole county, computed in the background per village and rule-set version."""

    __tablename__ = "suitable_land"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rule_set_version: Mapped[int] = mapped_column(Integer, nullable=False)
    village_code: Mapped[str] = mapped_column(String(12), nullable=False)
    township_code: Mapped[str | None] = mapped_column(String(9))
    area_m2: Mapped[float] = mapped_column(Float, nullable=False)
    distance_to_centre_m: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = created_now()
    geom = mapped_column(Geometry("POLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False)

    __table_args__ = (Index("ix_suitable_land_rule_set_village", "rule_set_id", "rule_set_version",
                            "village_code"),)
