"""Tables of joint boundary inspections (界线联合检查): campaigns, their lines, marker records,
findings along each line and photos.

Not registry layers: a campaign is a workflow with its own API (``gis_server.routers.inspections``).
Inspection records carry the feature columns (``FeatureMixin``) and the history triggers, so every
change of a record — by an import, the phone form or straight in PostGIS — is a version in
``feature_history`` with who and why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from formats.srids import STORAGE_SRID
from layers.base import Base, FeatureMixin, created_now, field

# Conditions recorded in practice (DOMAIN.md §4); the codes are what files and the API carry.
CONDITIONS = {
    "intact": "完好",
    "damaged": "损坏",
    "missing": "丢失",
    "displaced": "移位",
    "tilted": "倾斜",
    "illegible": "注记不清",
    "reference_changed": "方位物变化",
    "obscured": "被遮挡",
    "other": "其他",
}
# marker colours by condition, on the inspection map and in the report's map
CONDITION_COLOURS = {"intact": "#2ca02c", "damaged": "#d62728", "missing": "#7f0000", "displaced": "#9467bd",
                     "tilted": "#e377c2", "illegible": "#bcbd22", "reference_changed": "#17becf",
                     "obscured": "#8c564b", "other": "#7f7f7f", "not_inspected": "#ffffff"}
CAMPAIGN_KINDS = {"regular": "五年定期联检", "ad_hoc": "专项检查（洪水、道路河流变化等）"}
CAMPAIGN_STATUSES = {"planned": "计划", "in_progress": "进行中", "completed": "已完成"}
FINDING_KINDS = {
    "feature_change": "沿线地物变化",
    "construction": "跨界建设",
    "problem": "发现的问题",
    "other": "其他",
}


class Campaign(Base):
    """A joint-inspection round for one or more lines."""

    __tablename__ = "inspection_campaigns"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    round: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    kind: Mapped[str] = mapped_column(String(16), nullable=False, server_default="regular")
    trigger: Mapped[str | None] = mapped_column(Text)  # why an ad-hoc inspection (flood, new road …)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="planned")
    team_a: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # {"side", "leader", "members": [...]}
    team_b: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    tolerance_m: Mapped[float] = mapped_column(Float, nullable=False)
    tolerance_basis: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = created_now()
    updated_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("year", "round", "name"),)


class CampaignLine(Base):
    __tablename__ = "inspection_campaign_lines"

    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("inspection_campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    line_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("boundary_lines.id"), primary_key=True, index=True)


class InspectionRecord(FeatureMixin, Base):
    """What the two teams found at one marker; ``geom`` is the measured position (EPSG:4490)."""

    __tablename__ = "inspection_records"

    campaign_id: Mapped[int] = field(BigInteger, "联检任务", ForeignKey("inspection_campaigns.id"), required=True)
    marker_id: Mapped[int] = field(BigInteger, "界桩", ForeignKey("boundary_markers.id"), required=True,
                                   index=True)
    client_id: Mapped[str] = field(Text, "客户端记录标识", required=True)
    condition: Mapped[str | None] = field(String(24), "界桩状况", choices=CONDITIONS)
    measured_at: Mapped[datetime | None] = field(DateTime(timezone=True), "检查时间")
    inspector: Mapped[str | None] = field(Text, "检查人（甲方）")
    inspector_partner: Mapped[str | None] = field(Text, "检查人（乙方）")
    reference_check: Mapped[str | None] = field(Text, "方位物核对")
    notes: Mapped[str | None] = field(Text, "备注")
    photo_names: Mapped[list[str] | None] = field(ARRAY(Text), "照片文件名")
    accuracy_m: Mapped[float | None] = field(Float, "测量精度", unit="m")
    # the registered position at the time of inspection and the displacement from it (EPSG:4550)
    marker_version: Mapped[int | None] = field(Integer, "界桩登记版本")
    registered_geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False),
                                    info={"label": "登记位置", "system": True})
    displacement_m: Mapped[float | None] = field(Float, "位移", unit="m")
    displacement_dx_m: Mapped[float | None] = field(Float, "位移东分量", unit="m")
    displacement_dy_m: Mapped[float | None] = field(Float, "位移北分量", unit="m")
    content_hash: Mapped[str | None] = field(Text, "内容摘要", hidden=True)
    # a lost marker (丢失) has no measured position: the geometry may be empty
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), sort_order=999,
                         info={"label": "实测位置", "system": True})

    __table_args__ = (
        Index("uq_inspection_records_client", "campaign_id", "client_id", unique=True),
        # one record per marker and campaign among those in service
        Index("uq_inspection_records_marker", "campaign_id", "marker_id", unique=True,
              postgresql_where=text("retired_at IS NULL")),
    )


class LineFinding(Base):
    """Along one line: a changed feature, cross-boundary construction, a problem and its handling."""

    __tablename__ = "inspection_line_findings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("inspection_campaigns.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    line_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("boundary_lines.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    handling: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False))
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(Text)


class Photo(Base):
    """A photo of a marker or record; the file is stored once, named by its SHA-256."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    record_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("inspection_records.id"), index=True)
    marker_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("boundary_markers.id"), index=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    media_type: Mapped[str] = mapped_column(Text, nullable=False)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    uploaded_at: Mapped[datetime] = created_now()
    uploaded_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("record_id", "sha256"),
        Index("uq_inspection_photos_marker_sha", "marker_id", "sha256", unique=True,
              postgresql_where=text("record_id IS NULL")),
    )


class MarkerResurvey(Base):
    """A re-survey that moved a marker: the approving document and both sides' confirmations
    (《行政区域界线管理条例》第六条), for the marker version it produced. Written only by
    ``layers.inspections.resurvey``; never updated.
    """

    __tablename__ = "marker_resurveys"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    marker_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("boundary_markers.id"), nullable=False)
    marker_version: Mapped[int] = mapped_column(Integer, nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    record_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("inspection_records.id"))
    side_a_party: Mapped[str] = mapped_column(Text, nullable=False)
    side_a_confirmed_by: Mapped[str] = mapped_column(Text, nullable=False)
    side_a_confirmed_on: Mapped[date] = mapped_column(Date, nullable=False)
    side_b_party: Mapped[str] = mapped_column(Text, nullable=False)
    side_b_confirmed_by: Mapped[str] = mapped_column(Text, nullable=False)
    side_b_confirmed_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_at: Mapped[datetime] = created_now()
    recorded_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("uq_marker_resurveys_version", "marker_id", "marker_version", unique=True),)
