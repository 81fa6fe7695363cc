"""Uniqueness-check hits per account: audited, and limited across every process of the service.

A duplicate answer (409) tells the caller that a value is registered — for an ID number, whether a
person is an assisted household. Each hit is recorded in the audit log (``duplicate_hit``), and
the audit log is the counter: an account with too many hits in the window gets 429 at every write
that would reach a uniqueness check, whatever its answer would be (a 429 only for duplicates would
be the same oracle). The count lives in the database, so all processes and replicas agree
(DESIGN.md: no in-process state that goes stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from layers import audit
from layers.errors import Throttled
from layers.registry import LayerSpec
from layers.roles import Actor

HIT = "duplicate_hit"
REFUSED = "duplicate_throttled"


@dataclass(frozen=True)
class DuplicateLimit:
    """``max_hits`` per account within ``window_seconds`` (settings ``GIS_DUPLICATE_HITS_*``)."""

    max_hits: int = 10
    window_seconds: int = 3600


def guard(conn: Connection, actor: Actor, limit: DuplicateLimit) -> None:
    """Refuse (429) when ``actor`` has ``max_hits`` hits within the window; the wait is until the
    oldest of the last ``max_hits`` leaves it.
    """
    oldest = conn.execute(text(
        "SELECT ceil(extract(epoch FROM at + make_interval(secs => :window) - now())) FROM audit_log "
        "WHERE username = :user AND action = :action AND at > now() - make_interval(secs => :window) "
        "ORDER BY at DESC OFFSET :skip LIMIT 1"),
        {"user": actor.name, "action": HIT, "window": limit.window_seconds, "skip": limit.max_hits - 1}).scalar()
    if oldest is not None:
        wait = max(int(oldest), 1)
        raise Throttled(f"重复校验命中次数过多（{limit.window_seconds // 60} 分钟内 {limit.max_hits} 次），"
                        f"为保护个人信息，请 {(wait + 59) // 60} 分钟后再提交涉及唯一性校验的修改",
                        "too many duplicate hits", retry_after=wait)


def record(conn: Connection, actor: Actor, spec: LayerSpec, refused: Throttled | None, **detail: Any) -> None:
    """Audit a hit, or a write refused by :func:`guard` (which does not count as a hit)."""
    audit.record(conn, actor, REFUSED if refused else HIT, layer=spec.name, **detail)
