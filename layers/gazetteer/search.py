"""Gazetteer search in one SQL statement: Chinese text, pinyin, initials, variant and historical names.

Matching uses indexes only: ``name LIKE 'q%'`` (btree ``text_pattern_ops``), ``name LIKE '%q%'``
(trigram GIN, for queries of 3+ characters: shorter ones have no trigram and would scan the table;
``pg_trgm`` similarity misses infixes in Chinese; ILIKE only when the query has Latin letters),
``LIKE 'q%'`` on the generated ``pinyin_key`` / ``pinyin_initials`` columns (btree), and the
variants' names (trigram GIN). Each branch is capped at ``MAX_CANDIDATES`` rows. Ranking comes afterwards:
exact > prefix > pinyin > initials > infix > variant; a historical record that was replaced by
another place is reported under the current place, saying which old name matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import InvalidInput
from layers.features import planned_each_time
from layers.gazetteer.classes import class_table
from layers.gazetteer.names import VARIANT_KINDS
from layers.gazetteer.pinyin import looks_like_pinyin, query_keys
from layers.place_names import NAME_STATUS

MATCH_TITLES = {"standard": "标准名称", "pinyin": "拼音", "initials": "拼音首字母",
                "replaced": "历史名称（已更名）", **VARIANT_KINDS}

# Each branch is capped (:cap rows): a query that matches tens of thousands of names (a common
# syllable at province scale) still answers in milliseconds; ``total`` is then a lower bound.
SEARCH_SQL = """
WITH hits AS (
    (SELECT p.id AS place_id, p.name AS matched, 'standard' AS kind,
            CASE WHEN p.name = :q THEN 100 ELSE 80 END AS score
     FROM place_names p WHERE p.retired_at IS NULL AND p.name LIKE :prefix ORDER BY p.name USING ~<~ LIMIT :cap)
  UNION ALL
    (SELECT p.id, p.name, 'standard', 50
     FROM place_names p WHERE p.retired_at IS NULL AND p.name {like} :infix LIMIT :cap)
  UNION ALL
    (SELECT p.id, p.pinyin, 'pinyin', CASE WHEN p.pinyin_key = ANY(:keys) THEN 75 ELSE 60 END
     FROM place_names p WHERE p.retired_at IS NULL AND (p.pinyin_key LIKE :k1 OR p.pinyin_key LIKE :k2)
     ORDER BY p.pinyin_key USING ~<~ LIMIT :cap)
  UNION ALL
    (SELECT p.id, p.pinyin, 'initials', CASE WHEN p.pinyin_initials = ANY(:keys) THEN 70 ELSE 55 END
     FROM place_names p WHERE p.retired_at IS NULL AND (p.pinyin_initials LIKE :k1 OR p.pinyin_initials LIKE :k2)
     ORDER BY p.pinyin_initials USING ~<~ LIMIT :cap)
  UNION ALL
    (SELECT v.place_name_id, v.name, v.kind, CASE WHEN v.name = :q THEN 65 WHEN v.name LIKE :prefix THEN 45 ELSE 40 END
     FROM place_name_variants v WHERE v.name {like} :infix LIMIT :cap)
), resolved AS (
    SELECT coalesce(cur.id, h.place_id) AS id, h.matched,
           CASE WHEN cur.id IS NOT NULL THEN 'replaced' ELSE h.kind END AS kind,
           h.score - CASE WHEN cur.id IS NOT NULL THEN 35 WHEN p.status = 'historical' THEN 10 ELSE 0 END AS score
    FROM hits h JOIN place_names p ON p.id = h.place_id
    LEFT JOIN place_names cur ON p.status = 'historical' AND cur.id = p.replaced_by_id AND cur.retired_at IS NULL
), best AS (
    SELECT DISTINCT ON (id) id, matched, kind, score FROM resolved ORDER BY id, score DESC, matched
)
SELECT p.id, p.code, p.name, p.pinyin, p.class_code, p.township_code, t.name AS township_name, p.status,
       b.matched, b.kind, b.score, count(*) OVER () AS total
FROM best b
CROSS JOIN LATERAL (SELECT * FROM place_names x WHERE x.id = b.id LIMIT 1) p  -- LIMIT: an index probe per hit
LEFT JOIN townships t ON t.code = p.township_code AND t.retired_at IS NULL
WHERE (CAST(:class_code AS text) IS NULL OR p.class_code LIKE :class_code || '%')
  AND (CAST(:township AS text) IS NULL OR p.township_code = :township)
  AND (CAST(:status AS text) IS NULL OR p.status = :status)
ORDER BY b.score DESC, similarity(p.name, :q) DESC, length(p.name), p.pinyin_key, p.id
LIMIT :limit OFFSET :offset
"""
MAX_CANDIDATES = 500


def statement(q: str) -> str:
    """The search SQL for ``q``: LIKE for Chinese (no case to fold, ~4× cheaper), ILIKE if it has letters."""
    return SEARCH_SQL.replace("{like}", "ILIKE" if re.search(r"[A-Za-z]", q) else "LIKE")


@dataclass
class SearchQuery:
    q: str
    class_code: str | None = None
    township_code: str | None = None
    status: str | None = None
    limit: int = 20
    offset: int = 0
    keys: list[str] = field(default_factory=list)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_params(query: SearchQuery) -> dict[str, Any]:
    """The statement's parameters (also used by the benchmark to time the bare SQL)."""
    q = query.q.strip()
    if not q:
        raise InvalidInput("请输入要查找的地名、拼音或拼音首字母", "q is empty", field="q")
    if query.status and query.status not in NAME_STATUS:
        raise InvalidInput("状态应为：" + "、".join(f"{k}（{v}）" for k, v in NAME_STATUS.items()),
                           f"unknown status {query.status!r}", field="status")
    keys = query.keys or query_keys(q)
    escaped = _like_escape(q)
    # an infix needs a trigram (3+ characters); pure pinyin (letters, tones, spaces) is not matched as a name
    pure_pinyin = looks_like_pinyin(q) and not any(c.isdigit() for c in q)
    infix = None if len(q) < 3 or pure_pinyin else "%" + escaped + "%"
    return {"q": q, "prefix": escaped + "%", "infix": infix, "keys": keys or [""],
            "k1": keys[0] + "%" if keys else None, "k2": keys[-1] + "%" if keys else None,
            "class_code": query.class_code or None, "township": query.township_code or None,
            "status": query.status or None, "limit": query.limit, "offset": query.offset, "cap": MAX_CANDIDATES}


def _note(kind: str, matched: str, name: str) -> str | None:
    if kind == "replaced" or kind in VARIANT_KINDS and kind == "historical":
        return f"“{matched}”是曾用名，现名“{name}”"
    if kind in VARIANT_KINDS:
        return f"“{matched}”是“{name}”的{VARIANT_KINDS[kind]}"
    return None


def search(conn: Connection, query: SearchQuery) -> dict[str, Any]:
    """``{"total", "items": [...]}``; each item says which name matched and how."""
    # planned with the actual patterns: a cached generic plan cannot see a prefix or how common a trigram is
    with planned_each_time(conn):
        rows = conn.execute(text(statement(query.q.strip())), search_params(query)).mappings().all()
    classes = class_table()
    items = []
    for row in rows:
        place_class = classes.get(row["class_code"])
        items.append({
            "id": row["id"], "code": row["code"], "name": row["name"], "pinyin": row["pinyin"],
            "class_code": row["class_code"], "class_title": place_class.title if place_class else None,
            "township_code": row["township_code"], "township_name": row["township_name"],
            "status": row["status"], "status_title": NAME_STATUS.get(row["status"], row["status"]),
            "matched": {"name": row["matched"], "kind": row["kind"], "title": MATCH_TITLES.get(row["kind"])},
            "note": _note(row["kind"], row["matched"], row["name"]), "score": row["score"],
        })
    total = rows[0]["total"] if rows else 0
    return {"total": total, "total_is_lower_bound": total >= MAX_CANDIDATES, "limit": query.limit,
            "offset": query.offset, "items": items}
