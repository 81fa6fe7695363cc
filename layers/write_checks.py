"""The checks a write runs inside its transaction, in this order: references to other layers, the
layer's own hook (e.g. an ID number), then the natural key among live rows.

Every field is checked before any uniqueness check: a uniqueness answer tells whether a value is
registered, so a request that is refused for another reason must not reach one (issue 13: a bad
``members`` after a duplicate ID number let an ID number be rebuilt from its mask, nothing written,
nothing audited). A duplicate answer (:class:`Duplicate`) names the record only to a caller who
may read it, and the service audits and limits every hit (``WriteContext.guard``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.errors import Conflict, InvalidInput
from layers.features import WriteContext, q
from layers.privacy import visible_rows_sql
from layers.registry import LayerSpec


class Duplicate(Conflict):
    """A uniqueness check found a live record with the value: audited and counted by the service."""


def readable_record(conn: Connection, spec: LayerSpec, ctx: WriteContext, record_id: int) -> str | None:
    """``编号 12“名称”`` for a record the caller may read (no name when it is personal data), else None."""
    if ctx.actor is None or not spec.can_read(ctx.actor.roles):
        return None
    row_filter = visible_rows_sql(spec, ctx.actor) or "true"
    title = next((f for f in spec.fields if f.name == spec.title_field), None)
    title_sql = f"t.{q(title.name)}::text" if title is not None and not title.personal else "NULL"
    row = conn.execute(text(f"SELECT {row_filter}, {title_sql} FROM {q(spec.table.name)} t WHERE t.id = :id"),
                       {"id": record_id}).first()
    if row is None or not row[0]:
        return None
    return f"编号 {record_id}" + (f"“{row[1]}”" if row[1] else "")


def check_references(conn: Connection, spec: LayerSpec, properties: dict[str, Any]) -> None:
    """A code that must name a live record of another layer (a village, a township) does."""
    for f in spec.editable_fields:
        value = properties.get(f.name)
        if f.references is None or value is None:
            continue
        found = conn.execute(text(f"SELECT 1 FROM {q(f.references)} WHERE code = :code AND retired_at IS NULL"),
                             {"code": value}).first()
        if found is None:
            raise InvalidInput(f"{f.label}（{f.name}）“{value}”不是在册的区划代码，请核对后填写",
                               f"{f.name} {value!r} is not a live code of {f.references}", field=f.name)


def _key_values(conn: Connection, spec: LayerSpec, properties: dict[str, Any], ctx: WriteContext,
                partial: bool) -> dict[str, Any] | None:
    """The natural key the row will have, or None when the write does not set it (nothing to check)."""
    key = spec.natural_key
    if not key or (ctx.feature_id is not None and not any(k in properties for k in key)):
        return None
    values = {k: properties.get(k) for k in key}
    missing = [k for k in key if k not in properties]
    if partial and missing and ctx.feature_id is not None:  # a PATCH keeps the other parts of the key
        row = conn.execute(text(f"SELECT {', '.join(q(k) for k in missing)} FROM {q(spec.table.name)} "
                                "WHERE id = :id"), {"id": ctx.feature_id}).first()
        if row is not None:
            values.update(zip(missing, row, strict=True))
    return None if any(v is None for v in values.values()) else values  # NULL is never a duplicate


def check_natural_key(conn: Connection, spec: LayerSpec, properties: dict[str, Any], ctx: WriteContext,
                      partial: bool) -> None:
    """No other live record has the natural key this write gives (migration 0016 enforces it too)."""
    values = _key_values(conn, spec, properties, ctx, partial)
    if values is None:
        return
    if ctx.guard is not None:
        ctx.guard()
    where = " AND ".join(f"t.{q(k)} = :k_{k}" for k in values)
    existing = conn.execute(text(f"SELECT t.id FROM {q(spec.table.name)} t WHERE t.retired_at IS NULL "
                                 f"AND t.id <> :id AND {where} LIMIT 1"),
                            {"id": ctx.feature_id or 0, **{f"k_{k}": v for k, v in values.items()}}).scalar()
    if existing is None:
        return
    labels = {f.name: f.label for f in spec.fields}
    key_text = "、".join(f"{labels.get(k, k)}“{v}”" for k, v in values.items())
    record = readable_record(conn, spec, ctx, existing)
    where_text = f"：{record}" if record else ""
    raise Duplicate(f"{spec.title}中已有{key_text}相同的在册记录{where_text}，请改用其他值或修改已有记录",
                    f"{spec.name}: a live record already has {', '.join(values)}",
                    field=",".join(values), **({"existing_id": existing} if record else {}))


def run_write_checks(spec: LayerSpec, properties: dict[str, Any], ctx: WriteContext,
                     partial: bool) -> dict[str, Any]:
    """The checked and prepared properties to store (see the module's docstring for the order)."""
    check_references(ctx.conn, spec, properties)
    if spec.prepare_write is not None:
        properties = spec.prepare_write(properties, ctx)
    check_natural_key(ctx.conn, spec, properties, ctx, partial)
    return properties
