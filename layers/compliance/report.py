"""The change report for a period: what changed in each layer and what it caused (for the monthly meeting).

Every change of a watched layer is listed with who, when, why and the findings it caused, by kind. Roles
that may not read households see what facility changes did to coverage as published counts only: per
village, cells of 1–4 households are left out (``layers.coverage.disclosure``), and a change's figure is the
sum of its published cells.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from formats.documents import Document
from layers.catalog import registry
from layers.compliance.todo import KINDS, topics_for
from layers.coverage.disclosure import RESTRICTED_NOTE, SUPPRESS_BELOW
from layers.exports.columns import beijing_time
from layers.history import OPERATION_TITLES
from layers.labels import account_title
from layers.roles import Actor

MAX_ROWS = 5000
SOURCE_TITLES = {"siting_rule_set_versions": "三沿六区规则集", "candidate_sites": "候选地"}


def source_title(source: str) -> str:
    spec = registry().get(source)
    return spec.title if spec else SOURCE_TITLES.get(source, source)


def changes(conn: Connection, actor: Actor, since: datetime, until: datetime | None = None) -> dict[str, Any]:
    """Changes in [since, until) with their findings by kind, and a summary per layer."""
    rows = conn.execute(text(
        "SELECT id, source, feature_id, version, operation, changed_at, changed_by, reason, processed_at "
        "FROM compliance_changes WHERE changed_at >= :since AND (CAST(:until AS timestamptz) IS NULL "
        "OR changed_at < :until) ORDER BY id LIMIT :limit"), {"since": since, "until": until, "limit": MAX_ROWS}).all()
    ids = [r.id for r in rows]
    may_see_households = "coverage" in topics_for(actor)
    caused: dict[int, dict[str, int]] = {}
    suppressed: set[int] = set()
    for change_id, kind, _village, n in conn.execute(text(
            "SELECT change_id, kind, CASE WHEN topic = 'coverage' THEN detail->>'village_code' END, count(*) "
            "FROM compliance_findings WHERE change_id = ANY(:ids) GROUP BY 1, 2, 3"), {"ids": ids}):
        if kind.startswith("coverage_") and not may_see_households and n < SUPPRESS_BELOW:
            suppressed.add(change_id)  # a small village cell would point at households
            continue
        caused.setdefault(change_id, {}).setdefault(kind, 0)
        caused[change_id][kind] += n
    listed = [{"id": r.id, "layer": r.source, "layer_title": source_title(r.source), "feature_id": r.feature_id,
               "version": r.version, "operation": r.operation,
               "operation_title": OPERATION_TITLES.get(r.operation, r.operation),
               "changed_at": r.changed_at.isoformat(), "changed_by": r.changed_by,
               "changed_by_title": account_title(r.changed_by), "reason": r.reason,
               "processed": r.processed_at is not None, "caused": caused.get(r.id, {}),
               "coverage_suppressed": r.id in suppressed} for r in rows]
    summary: dict[str, dict[str, Any]] = {}
    for c in listed:
        s = summary.setdefault(c["layer"], {"layer": c["layer"], "layer_title": c["layer_title"], "changes": 0,
                                            "features": set(), "caused": {}})
        s["changes"] += 1
        s["features"].add(c["feature_id"])
        for kind, n in c["caused"].items():
            s["caused"][kind] = s["caused"].get(kind, 0) + n
    layers = [{**s, "features": len(s["features"])} for s in summary.values()]
    return {"since": since.isoformat(), "until": until.isoformat() if until else None, "layers": layers,
            "changes": listed, "truncated": len(rows) == MAX_ROWS,
            "note": None if may_see_households else RESTRICTED_NOTE, "kind_titles": KINDS}


def _caused_text(caused: dict[str, int]) -> str:
    return "；".join(f"{KINDS.get(k, k)} {n}" for k, n in sorted(caused.items())) or "—"


def document(report: dict[str, Any]) -> Document:
    """The report as a document (PDF/XLSX through ``formats.documents``)."""
    period = f"{report['since'][:10]} 至 {(report['until'] or '今')[:10]}"
    doc = Document(title="图层变更及影响报告", subtitle=f"期间：{period}", landscape=True)
    doc.table(["图层", "变更次数", "涉及要素", "引起的结果"],
              [[s["layer_title"], s["changes"], s["features"], _caused_text(s["caused"])] for s in report["layers"]],
              "各图层汇总")
    doc.table(["变更号", "图层", "要素编号", "版本", "操作", "时间", "操作人", "原因", "引起的结果"],
              [[c["id"], c["layer_title"], c["feature_id"], c["version"], c["operation_title"],
                beijing_time(c["changed_at"])[:19], c["changed_by_title"], c["reason"],
                _caused_text(c["caused"]) + ("（含不公布的小格子）" if c["coverage_suppressed"] else "")]
               for c in report["changes"]], "变更明细")
    if report["note"]:
        doc.paragraph(report["note"])
    return doc
