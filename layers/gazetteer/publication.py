"""Publication data: 地名录 rows, 地名词典 entries and the 公告 (announcement) table and text.

The row functions return plain rows (header labels + values) so any writer can use them (CSV and
XLSX through ``formats.tabular``); the ``*_document`` functions lay the same rows out as an
``formats.documents.Document`` for PDF: the 地名录 by township and class, the 地名词典 by major
class, the 公告 as its text and table. Sorting is by township, class, then pinyin.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, text

from formats.documents import Document
from layers.gazetteer.classes import class_table, major_classes
from layers.gazetteer.lifecycle import beijing_today
from layers.gazetteer.names import VARIANT_KINDS
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
SELECT p.id, p.code, p.name, p.pinyin, p.pinyin_toned, p.pinyin_key, p.class_code, p.status, p.meaning, p.history,
       p.description, p.approval_authority,
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
    out["major_class"] = place_class.major_class if place_class else "其他"
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


# --- documents (PDF) -------------------------------------------------------------------------

DIRECTORY_PDF_COLUMNS = ["序号", "标准名称", "罗马字母拼写", "地名代码", "所在村（社区）", "经纬度", "含义"]


def _coordinates(row: dict[str, Any]) -> str:
    return "" if row.get("lon") is None else f"{row['lon']:.5f}°E，{row['lat']:.5f}°N"


def _scope(rows: list[dict[str, Any]], township_code: str | None, class_code: str | None) -> str:
    parts = []
    if township_code:
        parts.append(next((r["township_name"] for r in rows if r.get("township_name")), None) or township_code)
    if class_code:
        found = class_table().get(class_code)
        parts.append(found.title if found else major_classes().get(class_code, f"类别 {class_code}"))
    return "·".join(parts) or "全市"


def directory_document(rows: list[dict[str, Any]], township_code: str | None = None,
                       class_code: str | None = None, as_of: date | None = None) -> Document:
    """地名录: a heading per township, a sub-heading and a table per class, names in pinyin order. Dated
    ``as_of`` or today in Beijing (not in the server's zone: at 01:00 Beijing a UTC server is a day behind).
    """
    doc = Document(title="海城市地名录", subtitle=f"{_scope(rows, township_code, class_code)} · 共 {len(rows)} 条 · "
                                                  f"截至 {(as_of or beijing_today()).isoformat()} · 经纬度为 CGCS2000")
    if not rows:
        doc.paragraph("没有符合条件的地名。")
    for township, in_township in groupby(rows, key=lambda r: (r["township_code"], r["township_name"])):
        doc.heading(f"{township[1] or '未划入乡镇（街道）'}{f'（{township[0]}）' if township[0] else ''}")
        for (code, title), in_class in groupby(in_township, key=lambda r: (r["class_code"], r["class_title"])):
            items = list(in_class)
            doc.subheading(f"{title}（{code}）· {len(items)} 条")
            doc.table(DIRECTORY_PDF_COLUMNS,
                      [[i, r["name"], r["pinyin"], r["code"], r["village_name"], _coordinates(r), r["meaning"]]
                       for i, r in enumerate(items, 1)], title, widths=[0.9, 1.7, 2.0, 3.0, 1.7, 2.3, 3.0])
    return doc


def variants_by_place(conn: Connection, place_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Other names (别名、简称、历史名称、俗称) of many places in one query."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not place_ids:
        return out
    rows = conn.execute(text(
        "SELECT place_name_id, name, kind, start_date, end_date FROM place_name_variants "
        "WHERE place_name_id = ANY(:ids) ORDER BY place_name_id, kind, start_date NULLS FIRST, id"),
        {"ids": place_ids}).mappings().all()
    for row in rows:
        out.setdefault(row["place_name_id"], []).append(dict(row))
    return out


def _other_names(variants: list[dict[str, Any]]) -> str:
    def one(v: dict[str, Any]) -> str:
        span = "–".join(d.isoformat()[:4] for d in (v["start_date"], v["end_date"]) if d)
        return f"{v['name']}（{VARIANT_KINDS.get(v['kind'], v['kind'])}{'，' + span if span else ''}）"

    return "；".join(one(v) for v in variants)


def dictionary_document(rows: list[dict[str, Any]], variants: dict[int, list[dict[str, Any]]],
                        township_code: str | None = None, class_code: str | None = None) -> Document:
    """地名词典: one entry per name (name, pinyin, class, location, meaning, history), by major class then pinyin."""
    doc = Document(title="海城市地名词典", subtitle=f"{_scope(rows, township_code, class_code)} · 共 {len(rows)} 条")
    if not rows:
        doc.paragraph("没有符合条件的地名。")
    ordered = sorted(rows, key=lambda r: (r["class_code"][:2], r["pinyin_key"] or "", r["name"], r["id"]))
    for major, entries in groupby(ordered, key=lambda r: r["class_code"][:2]):
        doc.heading(major_classes().get(major, "其他"))
        for r in entries:
            where = "位于" + (r["division"] or "") + (r["village_name"] or "")
            approval = "，".join(x for x in (r["approval_authority"], r["approval_date"], r["approval_doc_no"]) if x)
            doc.entry(f"{r['name']}　{r['pinyin_toned'] or r['pinyin'] or ''}", [
                ("类别", r["class_title"]), ("地名代码", r["code"]),
                ("位置", where + ("。" + r["description"] if r.get("description") else "")),
                ("其他名称", _other_names(variants.get(r["id"], []))),
                ("含义", r["meaning"]), ("历史沿革", r["history"]), ("批准", approval),
                ("状态", r["status_title"] if r["status"] == "historical" else None)])
    return doc


def announcement_document(rows: list[dict[str, Any]], start: date, end: date,
                          authority: str = "海城市人民政府") -> Document:
    """The 公告 as a page: its text, then the table of the approved names (landscape: ten columns)."""
    doc = Document(title=f"{authority}地名公告", subtitle=f"{start.isoformat()} 至 {end.isoformat()}", landscape=True)
    for line in announcement_text(rows, start, end, authority).split("\n"):
        doc.paragraph(line)
    if rows:
        header, values = table(rows, ANNOUNCEMENT_COLUMNS)
        doc.heading("附表：经批准的地名")
        doc.table(header, values, "地名公告", widths=[1.3, 1.7, 1.6, 2.2, 3.1, 1.6, 1.4, 2.1, 1.2, 2.5])
    return doc
