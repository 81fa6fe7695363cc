"""The job table: one row per background run, shared by everyone who asked for the same work.

A job is identified for sharing by ``(kind, key)``: while one is queued or running, a second request
with the same kind and key gets the same row (a partial unique index makes this hold across processes).
Finished jobs keep their result (JSON, or a file's bytes) until :func:`gis_server.jobs.queue.prune`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, Identity, Index, LargeBinary, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.base import Base

STATUSES = ("queued", "running", "done", "failed")
ACTIVE = ("queued", "running")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        # two requests for the same work while it is pending share one run
        Index("ux_jobs_active_key", "kind", "key", unique=True,
              postgresql_where=text("status IN ('queued', 'running')")),
        Index("ix_jobs_queued", "created_at", postgresql_where=text("status = 'queued'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'queued'"))
    progress: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("0"))
    message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    output: Mapped[bytes | None] = mapped_column(LargeBinary)
    output_type: Mapped[str | None] = mapped_column(Text)
    output_name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # touched by every progress report: a running job not touched for long belonged to a process that died
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
