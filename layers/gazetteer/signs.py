"""Place-name signs (地名标志) whose inscription no longer matches their place's standard name.

A sign should read the current standard name and its approved pinyin (《地名管理条例》（2022）第十九条：
标准地名及相关信息应当在地名标志上予以标示; 第十八条: 地名标志 must use the standard name). After a renaming
or an abolition the signs of the place are listed here with what they read and what they should read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.place_names import SIGN_CONDITIONS, SIGN_TYPES

MISMATCH_SQL = """
SELECT s.id AS sign_id, s.sign_type, s.inscription, s.inscription_pinyin, s.condition, s.inspected_date,
       p.id AS place_id, p.code, p.name AS current_name, p.pinyin AS current_pinyin, p.status,
       p.township_code, s.inscription <> p.name AS name_differs,
       gazetteer_pinyin_key(s.inscription_pinyin) IS DISTINCT FROM p.pinyin_key AS pinyin_differs,
       (SELECT v.end_date FROM place_name_variants v WHERE v.place_name_id = p.id AND v.kind = 'historical'
          AND v.name = s.inscription ORDER BY v.end_date DESC NULLS LAST LIMIT 1) AS renamed_on
FROM place_name_signs s JOIN place_names p ON p.id = s.place_name_id AND p.retired_at IS NULL
WHERE s.retired_at IS NULL
  AND (s.inscription <> p.name OR p.status = 'historical'
       OR gazetteer_pinyin_key(s.inscription_pinyin) IS DISTINCT FROM p.pinyin_key)
  AND (CAST(:township AS text) IS NULL OR p.township_code = :township)
ORDER BY p.township_code NULLS LAST, p.pinyin_key, s.id
"""


def _reason(row: Any) -> str:
    if row["status"] == "historical":
        return f"地名“{row['current_name']}”已废止，标志应拆除或更换"
    if row["name_differs"]:
        since = f"（{row['renamed_on'].isoformat()} 更名）" if row["renamed_on"] else ""
        return f"标志为“{row['inscription']}”，现标准名称为“{row['current_name']}”{since}"
    return f"标志拼写“{row['inscription_pinyin'] or ''}”与批准的拼写“{row['current_pinyin'] or ''}”不一致"


def mismatched_signs(conn: Connection, township_code: str | None = None) -> list[dict[str, Any]]:
    """Signs to replace: the inscription, what it should read (standard name + pinyin) and why."""
    rows = conn.execute(text(MISMATCH_SQL), {"township": township_code}).mappings().all()
    return [{
        "sign_id": r["sign_id"], "sign_type": r["sign_type"], "sign_type_title": SIGN_TYPES.get(r["sign_type"]),
        "inscription": r["inscription"], "inscription_pinyin": r["inscription_pinyin"],
        "condition": r["condition"], "condition_title": SIGN_CONDITIONS.get(r["condition"] or ""),
        "inspected_date": r["inspected_date"].isoformat() if r["inspected_date"] else None,
        "place_id": r["place_id"], "code": r["code"], "status": r["status"], "township_code": r["township_code"],
        "should_read": None if r["status"] == "historical" else r["current_name"],
        "should_read_pinyin": None if r["status"] == "historical" else r["current_pinyin"],
        "reason": _reason(r),
    } for r in rows]
