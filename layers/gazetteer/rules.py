"""The naming-rule check (《地名管理条例》 2022, Art. 9 and 10): what a system can test before approval.

Each problem names its rule, an ``error`` (the name may not be approved as it is) or a ``warning``
(to be weighed by staff), a Chinese message and the ids of conflicting records:

- ``duplicate`` / ``homophone``: the same name, or the same toneless pinyin, within the scope Art. 9
  sets for the class (data: ``classes.csv`` ``scope``, see ``classes.SCOPES`` for each one's basis):
  乡镇 — the province in law, the county here (all this system holds; said in a warning each time);
  村(居)委会所在地 — the county (an error); 街路巷 and residential areas — the same built-up area
  (approximated by the urban planning zone that contains the place, else its township); natural
  villages and town settlements — not listed by Art. 9: a duplicate anywhere in the county is a
  warning; other classes — the same township, a warning (project convention).
- ``generic_only`` / ``missing_generic``: the name is only a 通名, or has none.
- ``script`` / ``rare_character``: characters that are not Chinese, or not among the 8,105 of
  《通用规范汉字表》.
- ``leader`` / ``person`` / ``foreign`` / ``trademark`` / ``exaggeration``: Art. 9's lists, matched by
  word (``layers.gazetteer.art9``).
- ``protected_rename``: renaming a name on the 保护名录 (needs a recorded justification).

Every problem carries its ``basis``: the article and clause, or the project convention it follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from formats.srids import STORAGE_SRID
from layers.errors import InvalidInput
from layers.gazetteer.art9 import ARTICLE, art9_problems
from layers.gazetteer.charset import is_han, outside_table
from layers.gazetteer.classes import SCOPE_BASIS, SCOPES, class_table, classes_with_generic, generics_for, split_name
from layers.gazetteer.pinyin import Spelling, suggest

ALLOWED_NON_HAN = "·"
BUILT_UP_CLASSES = frozenset(c.code for c in class_table().values() if c.scope == "built_up")
# scopes where a duplicate is only worth a look: Art. 9 does not list the class
ADVISORY_SCOPES = frozenset({"none", "county_advisory"})
FORM_BASIS = "本项目规则：地名由专名和通名组成（见 DOMAIN.md §3）"
SCRIPT_BASIS = f"{ARTICLE}：使用国家通用语言文字，避免使用生僻字"
PROTECTED_BASIS = "《地名管理条例》（2022）第十条（具有历史文化价值的地名一般不得更名）、第二十五条（地名保护名录）"


@dataclass
class Problem:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    conflicts: list[int] = field(default_factory=list)
    basis: str = ""
    # the conflicting records ``{id, name, township}``: a message and a link name the place and its
    # township, never a bare number (issue 16)
    records: list[dict[str, Any]] = field(default_factory=list)


# the conflicting records with the name of their township (a record without one says so)
_WITH_TOWNSHIP = ("SELECT p.id, p.name, p.pinyin, p.class_code, coalesce(t.name, '乡镇未定') AS township "
                  "FROM place_names p LEFT JOIN townships t ON t.code = p.township_code AND t.retired_at IS NULL ")


def _records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "township": r.township} for r in rows]


def _where_is(r: Any) -> str:
    """``海州街道，编号 12``: where a conflicting record lies and how to find it."""
    return f"{r.township}，编号 {r.id}"


def text_problems(name: str, class_code: str) -> tuple[list[Problem], Spelling]:
    """The checks that need no database: form of the name, script, Art. 9's lists. Also the suggested pinyin.

    >>> [p.rule for p in text_problems("路", "07100")[0]], [p.rule for p in text_problems("海城", "03100")[0]]
    (['generic_only'], ['missing_generic'])
    >>> [(p.rule, p.severity) for p in text_problems("龘家屯", "06100")[0]]
    [('rare_character', 'error')]
    >>> [(p.rule, p.severity) for p in text_problems("威尼斯花园", "06200")[0]]
    [('foreign', 'error')]
    >>> [p.rule for p in text_problems("A区1号路", "07100")[0]], text_problems("海城市", "03100")[0]
    (['script'], [])
    """
    problems: list[Problem] = []
    place_class = class_table().get(class_code)
    if place_class is None:
        problems.append(Problem("unknown_class", "error", f"类别代码“{class_code}”不在地名类别表中",
                                basis="地名类别表 data/place_names/classes.csv（第二次全国地名普查分类）"))
    specific, generic = split_name(name, class_code)
    if generic and generic not in generics_for(class_code) and place_class is not None:
        owners = "、".join(f"{c.subclass}（{c.code}）" for c in classes_with_generic(generic)[:3])
        problems.append(Problem("class_mismatch", "warning",
                                f"“{generic}”是{owners}的通名，不是{place_class.subclass}的：请确认类别",
                                basis="地名类别表 data/place_names/classes.csv（本项目提示）"))
    if not specific:
        problems.append(Problem("generic_only", "error", f"“{name}”只有通名，缺少专名", basis=FORM_BASIS))
    elif not generic and place_class and place_class.generics:
        problems.append(Problem(
            "missing_generic", "warning",
            f"“{name}”没有通名（{place_class.subclass}类通常以{'、'.join(place_class.generics[:5])}等结尾）",
            basis=FORM_BASIS))
    foreign = sorted({c for c in name if not is_han(c) and c not in ALLOWED_NON_HAN})
    if foreign:
        problems.append(Problem("script", "error",
                                f"地名应使用国家通用语言文字，不应含有“{''.join(foreign)}”等字母、数字或符号",
                                basis=SCRIPT_BASIS))
    rare = outside_table(name)
    if rare:
        problems.append(Problem("rare_character", "error",
                                f"“{'、'.join(rare)}”不在《通用规范汉字表》（8105字）内，属生僻字或不规范字",
                                basis=SCRIPT_BASIS + "；《通用规范汉字表》（国务院 2013）"))
    problems += [Problem(h.rule, h.severity, h.message, basis=h.basis) for h in art9_problems(name, class_code)]
    return problems, suggest(name, class_code, specific, generic)


def _scope_sql(scope: str, class_code: str) -> str:
    """The condition (alias p) for records in the same scope as the place at :g / in :township / :zone."""
    classes = "p.class_code = ANY(:built_up)" if scope == "built_up" else "p.class_code = :class_code"
    if scope in ("county", "townships", "county_advisory"):
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
        f"WITH g AS (SELECT ST_PointOnSurface(ST_GeomFromWKB(:wkb, {STORAGE_SRID})) AS spot) SELECT "
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
    if scope == "county_advisory":
        return "全市（县级行政区域）"
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
        f"{_WITH_TOWNSHIP}WHERE p.retired_at IS NULL "
        "AND p.status <> 'historical' AND p.id IS DISTINCT FROM CAST(:self AS bigint) "
        f"AND {_scope_sql(scope, class_code)} "
        "AND (p.name = :name OR p.pinyin_key = CAST(:key AS text)) ORDER BY p.id"),
        {"self": place_id, "name": name, "key": key or None, "class_code": class_code,
         "built_up": sorted(BUILT_UP_CLASSES), "zone": zone, "township": township}).all()
    where = _scope_title(scope, zone_name, township_name, geom is not None)
    same = [r for r in rows if r.name == name]
    sounds = [r for r in rows if r.name != name]
    problems = []
    basis = SCOPE_BASIS[scope]
    if same:
        severity = "warning" if scope in ADVISORY_SCOPES or scope == "built_up" and geom is None else "error"
        listed = "、".join(f"{name}（{_where_is(r)}）" for r in same)
        problems.append(Problem("duplicate", severity, f"与{where}内已有地名重名：{listed}", [r.id for r in same],
                                basis, _records(same)))
    if sounds:
        listed = "、".join(f"{r.name}（{r.pinyin}；{_where_is(r)}）" for r in sounds)
        problems.append(Problem("homophone", "warning", f"与{where}内已有地名同音：{listed}，应避免同音",
                                [r.id for r in sounds], basis, _records(sounds)))
    if scope == "townships":  # Art. 9: township names are unique in the whole province, beyond this database
        problems.append(Problem("province_scope", "warning",
                                "乡、镇名称须在全省范围内不重名、不同音：本系统只核对了海城市的记录，请与省级地名数据核对",
                                basis=basis))
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
        f"{_WITH_TOWNSHIP}WHERE p.retired_at IS NULL AND p.status <> 'historical' "
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
                    [r.id for r in rows], "本项目提示：同名不同类别，常为类别选错", _records(rows))]


def _record(conn: Connection, place_id: int) -> Any:
    return conn.execute(text("SELECT name, culture_protected, geom FROM place_names WHERE id = :id"),
                        {"id": place_id}).first()


def validate(conn: Connection, name: str, class_code: str, geom: BaseGeometry | None = None,
             place_id: int | None = None) -> dict[str, Any]:
    """The full check: ``{"ok", "pinyin_suggestion", "pinyin_suggestion_toned", "problems": [...]}``."""
    name = (name or "").strip()
    if not name:
        return {"ok": False, "pinyin_suggestion": "", "pinyin_suggestion_toned": "", "specific_part": "",
                "generic_part": "", "problems": [asdict(Problem("empty", "error", "请填写地名", basis=FORM_BASIS))]}
    problems, spelling = text_problems(name, class_code)
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
                    [place_id], PROTECTED_BASIS))
    problems += conflict_problems(conn, name, class_code, spelling.key, geom, place_id)
    return {"ok": not any(p.severity == "error" for p in problems), "pinyin_suggestion": spelling.toneless,
            "pinyin_suggestion_toned": spelling.toned, "specific_part": spelling.specific,
            "generic_part": spelling.generic, "problems": [asdict(p) for p in problems]}


def require_no_errors(conn: Connection, name: str, class_code: str, geom: BaseGeometry | None = None,
                      place_id: int | None = None, what: str = "地名") -> None:
    """Every rule of :func:`validate`; any ``error`` refuses (422, every problem listed), warnings pass."""
    result = validate(conn, name, class_code, geom, place_id)
    errors = [p for p in result["problems"] if p["severity"] == "error"]
    if errors:
        raise InvalidInput(f"{what}不符合命名规则：" + "；".join(p["message"] for p in errors),
                           "the name breaks naming rules: " + ", ".join(p["rule"] for p in errors),
                           field="name", problems=result["problems"])
