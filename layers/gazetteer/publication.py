"""Publication data: 地名录 rows and the 公告 (announcement) table and text.

These functions return plain rows (header labels + values) so any writer can use them: CSV and
XLSX now (``importers.tabular``), PDF later. Sorting is by township, class, then pinyin.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from layers.gazetteer.classes import class_table
from layers.place_names import NAME_STATUS

COUNTY = "辽宁省鞍山市海城市"
DIRECTORY_COLUMNS = [("code", "地名代码"), ("name", "标准名称"), ("pinyin", "罗马字母拼写"), ("class_title", "类别"),
                     ("township_name", "所在乡镇（街道）"), ("village_name", "所在村（社区）"), ("lon", "东经"),
                     ("lat", "北纬"), ("meaning", "含义"), ("status_title", "状态")]
ANNOUNCEMENT_COLUMNS = [("name", "标准名称"), ("pinyin", "罗马字母拼写"), ("class_title", "类别"),
                        ("division", "所在行政区域"), ("description", "地理实体位置描述"),
                        ("approval_authority", "批准机关"), ("approval_date", "批准时间"),
                        ("approval_doc_no", "批准文号"), ("former_name", "原名称"), ("meaning", "含义")]

_BASE_SQL = """
SELECT p.id, p.code, p.name, p.pinyin, p.class_code, p.status, p.meaning, p.description, p.approval_authority,
       p.approval_date, p.approval_doc_no, p.announced_date, p.township_code, t.name AS township_name,
       v.name AS village_name, ST_X(ST_PointOnSurface(p.geom)) AS lon, ST_Y(ST_PointOnSurface(p.geom)) AS lat,
       (SELECT h.name FROM place_name_variants h WHERE h.place_name_id = p.id AND h.kind = 'historical'
          AND h.end_date = p.approval_date ORDER BY h.id DESC LIMIT 1) AS former_name
FROM place_names p
LEFT JOIN townships t ON t.code = p.township_code AND t.retired_at IS NULL
LEFT JOIN villages v ON v.code = p.village_code AND v.retired_at IS NULL
WHERE p.retired_at IS NULL
"""


def _decorate(row: Any) -> dict[str, Any]:
    out = dict(row)
    place_class = class_table().get(row["class_code"])
    out["class_title"] = place_class.title if place_class else row["class_code"]
    out["status_title"] = NAME_STATUS.get(row["status"], row["status"])
    out["division"] = COUNTY + (row["township_name"] or "")
    for key in ("lon", "lat"):
        out[key] = round(out[key], 6) if out[key] is not None else None
    for key in ("approval_date", "announced_date"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


def directory_rows(conn: Connection, township_code: str | None = None, class_code: str | None = None,
                   include_historical: bool = False) -> list[dict[str, Any]]:
    """地名录: current names (and historical ones if asked) by township, class and pinyin."""
    rows = conn.execute(text(
        _BASE_SQL + " AND (CAST(:township AS text) IS NULL OR p.township_code = :township)"
        " AND (CAST(:class_code AS text) IS NULL OR p.class_code LIKE :class_code || '%')"
        " AND p.status <> 'proposed' AND (:historical OR p.status <> 'historical')"
        " ORDER BY p.township_code NULLS FIRST, p.class_code, p.pinyin_key NULLS LAST, p.name, p.id"),
        {"township": township_code, "class_code": class_code, "historical": include_historical}).mappings().all()
    return [_decorate(r) for r in rows]


def announcement_rows(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Names approved (named or renamed) between ``start`` and ``end`` inclusive, by approval date and pinyin."""
    rows = conn.execute(text(
        _BASE_SQL + " AND p.status IN ('approved', 'announced') AND p.approval_date BETWEEN :start AND :end"
        " ORDER BY p.approval_date, p.pinyin_key NULLS LAST, p.id"), {"start": start, "end": end}).mappings().all()
    return [_decorate(r) for r in rows]


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> tuple[list[str], list[list[Any]]]:
    """Header (Chinese) and values, ready for CSV/XLSX/PDF writers."""
    return [label for _, label in columns], [[row.get(key) for key, _ in columns] for row in rows]


def announcement_text(rows: list[dict[str, Any]], start: date, end: date,
                      authority: str = "海城市人民政府") -> str:
    """The body of the 公告: what was approved in the period, one line per name (the table follows)."""
    if not rows:
        return f"{start.isoformat()}至{end.isoformat()}期间无经批准的地名命名、更名事项。"
    lines = [f"根据《地名管理条例》第十四条和《地名备案公告管理办法（试行）》，现将{start.isoformat()}至"
             f"{end.isoformat()}期间经批准的地名命名、更名事项公告如下："]
    for i, row in enumerate(rows, 1):
        what = f"原“{row['former_name']}”更名为" if row.get("former_name") else "命名"
        lines.append(f"{i}. {what}“{row['name']}”（{row['pinyin'] or ''}），{row['class_title']}，位于"
                     f"{row['division']}{('，' + row['description']) if row.get('description') else ''}；"
                     f"{row['approval_authority'] or ''}{row['approval_date'] or ''}批准"
                     f"（{row['approval_doc_no'] or ''}）。")
    lines.append(f"特此公告。\n{authority}")
    return "\n".join(lines)
