"""Tables of the coverage module (not registry layers: derived results, settings, and staff records).

- ``coverage_parameters``: network settings (speeds, excluded road classes), one row per scope.
- ``coverage_dirty``: a row per source layer (roads, shelters, care_facilities) changed since the
  last refresh; written by a trigger on ``feature_history`` (migration 0007), so edits made
  straight in PostGIS mark it too.
- ``coverage_refreshes``: a log of refresh runs (what was rebuilt, how long it took).
- ``coverage_network_edges``: the routable graph built from ``roads`` (noded, EPSG:4550).
- ``coverage_service_areas``: one row per facility and mode (``euclidean``, ``walking``,
  ``driving``): radius used, where the facility joins the network, the area polygon (EPSG:4490).
- ``coverage_network_reach``: network cost from each facility to every node it reaches within
  its radius (what household coverage by network is computed from).
- ``child_welfare_officers``: 儿童主任 (village) and 儿童督导员 (township) with contacts (personal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, Float, Identity, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from formats.srids import METRIC_SRID, STORAGE_SRID
from layers.base import Base, created_now, field


class CoverageParameters(Base):
    __tablename__ = "coverage_parameters"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = created_now()
    updated_by: Mapped[str | None] = mapped_column(Text)


class CoverageDirty(Base):
    __tablename__ = "coverage_dirty"

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CoverageRefresh(Base):
    __tablename__ = "coverage_refreshes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime] = created_now()
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class NetworkEdge(Base):
    __tablename__ = "coverage_network_edges"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    target: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    road_id: Mapped[int | None] = mapped_column(BigInteger)
    road_class: Mapped[str] = mapped_column(String(16), nullable=False)
    length_m: Mapped[float] = mapped_column(Float, nullable=False)
    # cost in metres at the mode's base speed (length × base / class speed); NULL = not usable
    walking_cost_m: Mapped[float | None] = mapped_column(Float)
    driving_cost_m: Mapped[float | None] = mapped_column(Float)
    geom = mapped_column(Geometry("LINESTRING", srid=METRIC_SRID, spatial_index=True), nullable=False)


class ServiceArea(Base):
    __tablename__ = "coverage_service_areas"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    facility_layer: Mapped[str] = mapped_column(String(32), nullable=False)
    facility_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    facility_type: Mapped[str] = mapped_column(String(24), nullable=False)
    mode: Mapped[str] = mapped_column(String(12), nullable=False)
    radius_m: Mapped[float | None] = mapped_column(Float)
    edge_id: Mapped[int | None] = mapped_column(BigInteger)
    edge_fraction: Mapped[float | None] = mapped_column(Float)
    access_m: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = created_now()
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))

    __table_args__ = (Index("uq_coverage_service_areas_facility", "facility_layer", "facility_id", "mode",
                            unique=True),
                      Index("ix_coverage_service_areas_type_mode", "facility_type", "mode"))


class NetworkReach(Base):
    __tablename__ = "coverage_network_reach"

    facility_layer: Mapped[str] = mapped_column(String(32), primary_key=True)
    facility_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    mode: Mapped[str] = mapped_column(String(12), primary_key=True)
    node: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cost_m: Mapped[float] = mapped_column(Float, nullable=False)


OFFICER_ROLES = {"director": "儿童主任", "supervisor": "儿童督导员"}  # village / township


class ChildWelfareOfficer(Base):
    """A 儿童主任 (per village) or 儿童督导员 (per township); name and phone are personal data."""

    __tablename__ = "child_welfare_officers"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True, info={"label": "编号"})
    role: Mapped[str] = field(String(16), "职务", required=True, choices=OFFICER_ROLES)
    unit_code: Mapped[str] = field(String(12), "村（乡镇）代码", required=True, index=True)
    name: Mapped[str] = field(Text, "姓名", required=True, personal=True, mask="name")
    phone: Mapped[str | None] = field(String(20), "联系电话", personal=True, mask="phone")
    note: Mapped[str | None] = field(Text, "备注")
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = created_now()
    updated_by: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_child_welfare_officers_active", "role", "unit_code",
                            postgresql_where=text("retired_at IS NULL")),)
