"""The naming-rule check (《地名管理条例》 2022, Art. 9 and 10): what a system can test before approval.

Each problem names its rule, an ``error`` (the name may not be approved as it is) or a ``warning``
(to be weighed by staff), a Chinese message and the ids of conflicting records:

- ``duplicate`` / ``homophone``: the same name, or the same toneless pinyin, within the scope the
  law sets for the class (data: ``classes.csv`` ``scope``): the whole county for village-level
  seats and settlements; the same built-up area (the urban planning zone containing the place,
  else its township) for streets and residential areas; all townships for townships; the same
  township for other classes (a warning, project convention).
- ``generic_only`` / ``missing_generic``: the name is only a 通名, or has none.
- ``script`` / ``rare_character``: characters that are not Chinese, or not among the 8,105 of
  《通用规范汉字表》.
- ``blocklist``: leaders' names, foreign names, trademarks, exaggerations (``blocklist.csv``).
- ``protected_rename``: renaming a name on the 保护名录 (needs a recorded justification).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.gazetteer.charset import is_han, outside_table
from layers.gazetteer.classes import SCOPES, class_table, classes_with_generic, generics_for, split_name
from layers.gazetteer.pinyin import Spelling, suggest

BLOCKLIST_FILE = Path(__file__).resolve().parents[2] / "data" / "place_names" / "blocklist.csv"
BLOCK_KINDS = {"leader": ("error", "国家领导人的名字"), "person": ("warning", "人名"),
               "foreign": ("error", "外国人名、地名"), "trademark": ("error", "企业名称或商标名称"),
               "exaggeration": ("warning", "夸大、不规范的用词")}
ALLOWED_NON_HAN = "·"
BUILT_UP_CLASSES = frozenset(c.code for c in class_table().values() if c.scope == "built_up")


@dataclass
class Problem:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    conflicts: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class BlockedTerm:
    term: str
    kind: str
    note: str


@cache
def load_blocklist(path: Path = BLOCKLIST_FILE) -> tuple[BlockedTerm, ...]:
    """The configurable blocklist (term, kind, note); edit the CSV to change it."""
    with path.open(encoding="utf-8") as f:
        return tuple(BlockedTerm(r["term"].strip(), r["kind"].strip(), r.get("note") or "")
                     for r in csv.DictReader(f) if r["term"].strip())


def text_problems(name: str, class_code: str,
                  blocklist: tuple[BlockedTerm, ...] | None = None) -> tuple[list[Problem], Spelling]:
    """The checks that need no database: form of the name, script, blocklist. Also the suggested pinyin.

    >>> [p.rule for p in text_problems("路", "07100")[0]], [p.rule for p in text_problems("海城", "03100")[0]]
    (['generic_only'], ['missing_generic'])
    >>> [(p.rule, p.severity) for p in text_problems("龘家屯", "06100")[0]]
    [('rare_character', 'error')]
    >>> [(p.rule, p.severity) for p in text_problems("威尼斯花园", "06200")[0]]
    [('blocklist', 'error')]
    >>> [p.rule for p in text_problems("A区1号路", "07100")[0]], text_problems("海城市", "03100")[0]
    (['script'], [])
    """
    problems: list[Problem] = []
    place_class = class_table().get(class_code)
    if place_class is None:
        problems.append(Problem("unknown_class", "error", f"类别代码“{class_code}”不在地名类别表中"))
    specific, generic = split_name(name, class_code)
    if generic and generic not in generics_for(class_code) and place_class is not None:
        owners = "、".join(f"{c.subclass}（{c.code}）" for c in classes_with_generic(generic)[:3])
        problems.append(Problem("class_mismatch", "warning",
                                f"“{generic}”是{owners}的通名，不是{place_class.subclass}的：请确认类别"))
    if not specific:
        problems.append(Problem("generic_only", "error", f"“{name}”只有通名，缺少专名"))
    elif not generic and place_class and place_class.generics:
        problems.append(Problem(
            "missing_generic", "warning",
            f"“{name}”没有通名（{place_class.subclass}类通常以{'、'.join(place_class.generics[:5])}等结尾）"))
    foreign = sorted({c for c in name if not is_han(c) and c not in ALLOWED_NON_HAN})
    if foreign:
        problems.append(Problem("script", "error",
                                f"地名应使用国家通用语言文字，不应含有“{''.join(foreign)}”等字母、数字或符号"))
    rare = outside_table(name)
    if rare:
        problems.append(Problem("rare_character", "error",
                                f"“{'、'.join(rare)}”不在《通用规范汉字表》（8105字）内，属生僻字或不规范字"))
    for blocked in blocklist if blocklist is not None else load_blocklist():
        if blocked.term in name:
            severity, what = BLOCK_KINDS.get(blocked.kind, ("error", "禁用词"))
            problems.append(Problem("blocklist", severity, f"含有“{blocked.term}”：不应使用{what}作地名"))
    return problems, suggest(name, class_code, specific, generic)


def _scope_sql(scope: str, class_code: str) -> str:
    """The condition (alias p) for records in the same scope as the place at :g / in :township / :zone."""
    classes = "p.class_code = ANY(:built_up)" if scope == "built_up" else "p.class_code = :class_code"
    if scope in ("county", "townships"):
        return classes
    if scope == "built_up":
        return (f"{classes} AND CASE WHEN CAST(:zone AS bigint) IS NOT NULL THEN EXISTS ("
                "SELECT 1 FROM urban_planning_zones z WHERE z.id = :zone AND ST_Intersects(z.geom, p.geom)) "
                "WHEN CAST(:township AS text) IS NOT NULL THEN p.township_code = :township ELSE true END")
    return f"{classes} AND p.township_code = :township"


def _where(conn: Connection, geom: BaseGeometry | None) -> tuple[int | None, str | None, str | None, str | None]:
    """(zone id, zone name, township code, township name) of a place."""
    if geom is None:
        return None, None, None, None
    row = conn.execute(text(
        "WITH g AS (SELECT ST_PointOnSurface(ST_GeomFromWKB(:wkb, 4490)) AS spot) SELECT "
        "(SELECT z.id FROM urban_planning_zones z, g WHERE z.retired_at IS NULL AND ST_Intersects(z.geom, g.spot) "
        " ORDER BY z.id LIMIT 1), "
        "(SELECT z.name FROM urban_planning_zones z, g WHERE z.retired_at IS NULL AND ST_Intersects(z.geom, g.spot) "
        " ORDER BY z.id LIMIT 1), "
        "(SELECT t.code FROM townships t, g WHERE t.retired_at IS NULL AND ST_Intersects(t.geom, g.spot) "
        " ORDER BY t.code LIMIT 1), "
        "(SELECT t.name FROM townships t, g WHERE t.retired_at IS NULL AND ST_Intersects(t.geom, g.spot) "
        " ORDER BY t.code LIMIT 1)"), {"wkb": shapely.to_wkb(geom)}).one()
    return row[0], row[1], row[2], row[3]


def _scope_title(scope: str, zone_name: str | None, township_name: str | None, located: bool) -> str:
    if scope == "built_up" and zone_name:
        return f"同一建成区（{zone_name}）"
    if scope in ("built_up", "none") and township_name:
        return f"同一乡镇（{township_name}）"
    if scope == "built_up" and not located:
        return "全市（未给出位置，无法确定建成区）"
    return SCOPES[scope].removesuffix("范围")


def conflict_problems(conn: Connection, name: str, class_code: str, key: str, geom: BaseGeometry | None,
                      place_id: int | None) -> list[Problem]:
    """Duplicates (error) and homophones (warning) among current names in the class's scope."""
    place_class = class_table().get(class_code)
    if place_class is None or not name:
        return []
    scope = place_class.scope
    zone, zone_name, township, township_name = _where(conn, geom)
    if scope == "none" and township is None:
        return []
    rows = conn.execute(text(
        f"SELECT p.id, p.name, p.pinyin FROM place_names p WHERE p.retired_at IS NULL "
        "AND p.status <> 'historical' AND p.id IS DISTINCT FROM CAST(:self AS bigint) "
        f"AND {_scope_sql(scope, class_code)} "
        "AND (p.name = :name OR p.pinyin_key = CAST(:key AS text)) ORDER BY p.id"),
        {"self": place_id, "name": name, "key": key or None, "class_code": class_code,
         "built_up": sorted(BUILT_UP_CLASSES), "zone": zone, "township": township}).all()
    where = _scope_title(scope, zone_name, township_name, geom is not None)
    same = [r for r in rows if r.name == name]
    sounds = [r for r in rows if r.name != name]
    problems = []
    if same:
        severity = "warning" if scope == "none" or scope == "built_up" and geom is None else "error"
        problems.append(Problem("duplicate", severity, f"与{where}内已有地名重名：{name}（编号 "
                                f"{'、'.join(str(r.id) for r in same)}）", [r.id for r in same]))
    if sounds:
        listed = "、".join(f"{r.name}（{r.pinyin}）" for r in sounds)
        problems.append(Problem("homophone", "warning", f"与{where}内已有地名同音：{listed}，应避免同音",
                                [r.id for r in sounds]))
    if scope == "townships":  # Art. 9: township names are unique in the whole province, beyond this database
        problems.append(Problem("province_scope", "warning",
                                "乡、镇名称须在全省范围内不重名、不同音：本系统只核对了海城市的记录，请与省级地名数据核对"))
    reported = [r.id for r in rows]
    return problems + _same_name_other_class(conn, name, class_code, township, township_name, place_id, reported)


def _same_name_other_class(conn: Connection, name: str, class_code: str, township: str | None,
                           township_name: str | None, place_id: int | None, reported: list[int]) -> list[Problem]:
    """The same name under another class in the same township: allowed (a 村委会 may carry its
    village's name) but worth a look — often the class was chosen wrongly.
    """
    if township is None:
        return []
    rows = conn.execute(text(
        "SELECT p.id, p.class_code FROM place_names p WHERE p.retired_at IS NULL AND p.status <> 'historical' "
        "AND p.id IS DISTINCT FROM CAST(:self AS bigint) AND p.name = :name AND p.class_code <> :class_code "
        "AND p.township_code = :township AND NOT p.id = ANY(CAST(:reported AS bigint[])) ORDER BY p.id"),
        {"self": place_id, "name": name, "class_code": class_code, "township": township,
         "reported": reported}).all()
    if not rows:
        return []
    classes = class_table()
    listed = "、".join(f"编号 {r.id}（{classes[r.class_code].subclass if r.class_code in classes else r.class_code}）"
                      for r in rows)
    return [Problem("same_name_other_class", "warning",
                    f"同一乡镇（{township_name}）内已有同名的其他类别地名“{name}”：{listed}，请确认不是同一地方",
                    [r.id for r in rows])]


def _record(conn: Connection, place_id: int) -> Any:
    return conn.execute(text("SELECT name, culture_protected, geom FROM place_names WHERE id = :id"),
                        {"id": place_id}).first()


def validate(conn: Connection, name: str, class_code: str, geom: BaseGeometry | None = None,
             place_id: int | None = None, blocklist: tuple[BlockedTerm, ...] | None = None) -> dict[str, Any]:
    """The full check: ``{"ok", "pinyin_suggestion", "pinyin_suggestion_toned", "problems": [...]}``."""
    name = (name or "").strip()
    if not name:
        return {"ok": False, "pinyin_suggestion": "", "pinyin_suggestion_toned": "", "specific_part": "",
                "generic_part": "", "problems": [asdict(Problem("empty", "error", "请填写地名"))]}
    problems, spelling = text_problems(name, class_code, blocklist)
    if place_id is not None:
        record = _record(conn, place_id)
        if record is not None:
            if geom is None:
                geom = conn.execute(text("SELECT ST_AsBinary(geom) FROM place_names WHERE id = :id"),
                                    {"id": place_id}).scalar_one()
                geom = shapely.from_wkb(bytes(geom))
            if record.culture_protected and record.name != name:
                problems.append(Problem(
                    "protected_rename", "warning",
                    f"“{record.name}”列入地名保护名录，具有历史文化价值的地名一般不应更名；确需更名须记录理由",
                    [place_id]))
    problems += conflict_problems(conn, name, class_code, spelling.key, geom, place_id)
    return {"ok": not any(p.severity == "error" for p in problems), "pinyin_suggestion": spelling.toneless,
            "pinyin_suggestion_toned": spelling.toned, "specific_part": spelling.specific,
            "generic_part": spelling.generic, "problems": [asdict(p) for p in problems]}
