"""Erasing the personal fields of retired records once their retention period is over.

《个人信息保护法》 Art. 19: personal information is kept no longer than the purpose needs; Art. 47:
it is deleted once the purpose is achieved (an assisted household retired from the register). The
retention period is a local parameter (``GIS_PERSONAL_DATA_RETENTION_DAYS``, see
``gis_server.settings``). The fields are those the layer registry marks ``personal`` — on the rows
and on their ``feature_history`` snapshots, so the history still says who changed what and when,
but no longer the personal values. Columns that must hold a value get :data:`ERASED` instead of NULL.

``feature_history`` is append-only for the service's role (migration 0013): run this as the schema
owner. The purge's own update is versioned like any write (operation ``privacy_purge``); the
per-row audit entries are replaced by the caller's one summary entry (``gis.bulk``, owner only).
A second run finds nothing left to erase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from layers.features import q, set_actor
from layers.registry import LayerSpec
from layers.roles import Actor

ERASED = "（已删除）"  # what a required personal text column holds after the purge
OPERATION = "privacy_purge"
REASON = "个人信息保存期限届满，依《个人信息保护法》第十九条、第四十七条删除"


@dataclass
class PurgeResult:
    """Per layer: the rows and history snapshots whose personal fields were (or would be) erased."""

    retention_days: int
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    history_rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_history_rows(self) -> int:
        return sum(self.history_rows.values())


def erased_values(spec: LayerSpec) -> dict[str, str | None]:
    """Each personal column, hidden ones (ID cipher and hash) included, and what it holds once erased:
    NULL, or :data:`ERASED` where NOT NULL.
    """
    return {f.name: None if spec.table.columns[f.name].nullable else ERASED
            for f in spec.all_fields if f.personal}


def _row_condition(values: dict[str, str | None]) -> str:
    # a row still holding any personal value (so that a second run finds nothing)
    return " OR ".join(f"{q(name)} IS NOT NULL" if value is None else f"{q(name)} IS DISTINCT FROM :erased"
                       for name, value in values.items())


def _history_condition(values: dict[str, str | None]) -> str:
    return " OR ".join(f"coalesce(h.data->'{name}', 'null'::jsonb) <> 'null'::jsonb" if value is None
                       else f"h.data->'{name}' IS DISTINCT FROM to_jsonb(CAST(:erased AS text))"
                       for name, value in values.items())


def purge_layer(conn: Connection, spec: LayerSpec, retention_days: int, dry_run: bool) -> tuple[int, int]:
    """Erase (or count) the personal fields of ``spec``'s rows retired more than ``retention_days`` ago
    and of their history snapshots; returns (rows, history rows).
    """
    values = erased_values(spec)
    table = q(spec.table.name)
    params: dict[str, Any] = {"days": retention_days, "layer": spec.name, "erased": ERASED}
    expired = "retired_at IS NOT NULL AND retired_at < now() - make_interval(days => :days)"
    history_where = (f"h.layer = :layer AND h.feature_id IN (SELECT id FROM {table} WHERE {expired}) "
                     f"AND ({_history_condition(values)})")
    if dry_run:
        rows = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {expired} AND ({_row_condition(values)})"),
                            params).scalar_one()
        history = conn.execute(text(f"SELECT count(*) FROM feature_history h WHERE {history_where}"),
                               params).scalar_one()
        return rows, history
    # the history first: the purge's own update adds a snapshot that already holds no personal value
    erased_json = "jsonb_build_object(" + ", ".join(
        f"'{name}', {'NULL::text' if value is None else 'CAST(:erased AS text)'}"
        for name, value in values.items()) + ")"
    history = conn.execute(text(f"UPDATE feature_history h SET data = h.data || {erased_json} WHERE {history_where}"),
                           params).rowcount
    assignments = ", ".join(f"{q(name)} = {'NULL' if value is None else ':erased'}" for name, value in values.items())
    rows = conn.execute(text(f"UPDATE {table} SET {assignments} WHERE {expired} AND ({_row_condition(values)})"),
                        params).rowcount
    return rows, history


def purge_personal_data(conn: Connection, specs: list[LayerSpec], actor: Actor, retention_days: int,
                        dry_run: bool = False) -> PurgeResult:
    """Run :func:`purge_layer` on every layer of ``specs`` that holds personal fields, in the caller's
    transaction (as the schema owner); the caller records the one audit entry.
    """
    if retention_days < 0:
        raise ValueError("retention_days must be ≥ 0")
    result = PurgeResult(retention_days=retention_days, dry_run=dry_run)
    if not dry_run:
        set_actor(conn, actor, REASON, OPERATION)
        conn.execute(text("SELECT set_config('gis.bulk', 'on', true)"))  # one summary entry, by the caller
    for spec in specs:
        if erased_values(spec):
            result.rows[spec.name], result.history_rows[spec.name] = purge_layer(conn, spec, retention_days, dry_run)
    return result
