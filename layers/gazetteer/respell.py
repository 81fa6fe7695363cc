"""Regenerate the stored pinyin of place names from the current spelling rules and polyphone table
(``haicheng-gis pinyin regenerate [--dry-run]``).

Spellings set by hand (``pinyin_manual``) are kept and reported; every other record whose stored
spelling (toneless, toned, 专名/通名) differs from the suggestion is updated through the feature
store, so each change is a new version in the history with its reason. Homophone checks read the
search key computed from the stored pinyin: after a regeneration they compare corrected spellings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.features import update_feature
from layers.gazetteer.declaration import PLACE_NAMES
from layers.gazetteer.pinyin import suggest
from layers.roles import Actor

REASON = "拼音按《中国地名汉语拼音字母拼写规则（汉语地名部分）》和多音字表重新生成"


def regenerate(conn: Connection, actor: Actor, *, dry_run: bool = False) -> dict[str, Any]:
    """``{"checked", "changed": [{id, name, old, new}], "kept_manual": [{id, name, pinyin, suggestion}]}``."""
    spec = PLACE_NAMES
    rows = conn.execute(text(
        "SELECT id, version, name, class_code, pinyin, pinyin_toned, specific_part, generic_part, pinyin_manual "
        "FROM place_names WHERE retired_at IS NULL ORDER BY id")).all()
    changed, kept = [], []
    for row in rows:
        spelling = suggest(row.name, row.class_code)
        if row.pinyin_manual:
            if row.pinyin != spelling.toneless:
                kept.append({"id": row.id, "name": row.name, "pinyin": row.pinyin, "suggestion": spelling.toneless})
            continue
        new = {"pinyin": spelling.toneless, "pinyin_toned": spelling.toned,
               "specific_part": spelling.specific or None, "generic_part": spelling.generic or None}
        if new == {k: getattr(row, k) for k in new}:
            continue
        changed.append({"id": row.id, "name": row.name, "old": row.pinyin, "new": spelling.toneless})
        if not dry_run:
            update_feature(conn, spec, row.id, row.version, new, None, actor, REASON)
    return {"checked": len(rows), "changed": changed, "kept_manual": kept, "dry_run": dry_run}
