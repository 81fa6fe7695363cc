"""The census place-name class table (``data/place_names/classes.csv``), kept as data.

Each subclass has a 5-digit class code (used in the 20-digit place-name code), its major class,
the generic parts (通名) it usually ends with, whether its pinyin is written as one word (natural
villages), and the scope in which 《地名管理条例》 Art. 9 forbids duplicates and homophones:
``county`` (the whole county-level area), ``built_up`` (the same built-up area), ``townships``
(all townships on record), ``county_advisory`` (the county, a warning only: classes Art. 9 does not
list, such as natural villages) or ``none`` (the same township, a warning); basis in ``SCOPE_BASIS``.

>>> c = place_class("06100")
>>> c.major_class, c.subclass, c.one_word, c.scope
('居民点', '自然村', True, 'county_advisory')
>>> split_name("海城市", "03100"), split_name("王家屯", "06100"), split_name("路", "07100")
(('海城', '市'), ('王家', '屯'), ('', '路'))
>>> split_name("海城", "03100")
('海城', '')
>>> len(major_classes())
11
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from layers.errors import InvalidInput

CLASSES_FILE = Path(__file__).resolve().parents[2] / "data" / "place_names" / "classes.csv"
SCOPES = {"county": "全市（县级行政区域）范围", "built_up": "同一建成区（城镇规划区）范围",
          "townships": "全部乡镇（街道）", "county_advisory": "全市（县级行政区域）范围（提示）",
          "none": "同一乡镇（街道）范围"}
# where each scope comes from: 《地名管理条例》 (2022) Art. 9 lists three classes; the rest is local convention
SCOPE_BASIS = {
    "townships": "《地名管理条例》（2022）第九条：乡、镇名称在一个省级行政区域内不重名、避免同音"
                 "（本系统只有海城市的记录，故在全市范围内核对，并提示与省级数据核对）",
    "county": "《地名管理条例》（2022）第九条：村（居）民委员会所在地名称在一个县级行政区域内不重名、避免同音",
    "built_up": "《地名管理条例》（2022）第九条：街、路、巷和居民区名称在同一城镇建成区内不重名、避免同音"
                "（建成区以包含该地的城镇规划区近似，无规划区时以所在乡镇（街道）近似）",
    "county_advisory": "第九条未列入此类（如自然村）：全市范围内重名仅作提示（本项目约定）",
    "none": "第九条未列入此类：同一乡镇（街道）内重名仅作提示（本项目约定）",
}
# Generic parts recognised in any class (a name's class may list its own on top).
COMMON_GENERICS = ("市", "县", "区", "镇", "乡", "街道", "村", "屯", "庄", "路", "街", "巷", "河", "山", "桥")


@dataclass(frozen=True)
class PlaceClass:
    code: str
    major_code: str
    major_class: str
    subclass: str
    generics: tuple[str, ...]
    scope: str
    one_word: bool

    @property
    def title(self) -> str:
        return f"{self.major_class}·{self.subclass}"


@cache
def class_table() -> dict[str, PlaceClass]:
    with CLASSES_FILE.open(encoding="utf-8") as f:
        rows = [PlaceClass(r["code"], r["major_code"], r["major_class"], r["subclass"],
                           tuple(g for g in r["generics"].split("|") if g), r["scope"], r["one_word"] == "1")
                for r in csv.DictReader(f)]
    return {c.code: c for c in rows}


def major_classes() -> dict[str, str]:
    """Major class code → name, in table order."""
    return {c.major_code: c.major_class for c in class_table().values()}


def place_class(code: str) -> PlaceClass:
    found = class_table().get(code)
    if found is None:
        raise InvalidInput(f"类别代码“{code}”不在地名类别表中", f"unknown class code {code!r}", field="class_code")
    return found


def generics_for(code: str | None) -> tuple[str, ...]:
    """The class's generics then the common ones, longest first (so 大街 wins over 街)."""
    own = class_table()[code].generics if code in class_table() else ()
    return tuple(sorted(set(own) | set(COMMON_GENERICS), key=len, reverse=True))


@cache
def _distinctive_generics() -> tuple[str, ...]:
    # only generics of two or more characters: one character (城, 口, 台) ends too many 专名 by chance
    every = {g for c in class_table().values() for g in c.generics if len(g) > 1}
    return tuple(sorted(every, key=len, reverse=True))


def split_name(name: str, class_code: str | None) -> tuple[str, str]:
    """(专名, 通名) by the longest known generic at the end — the class's own, a common one, or another
    class's when that is longer (西响社区 filed as a 自然村 is still 西响 + 社区); ``('', name)`` for a
    bare generic.

    >>> split_name("西响社区", "06100")
    ('西响', '社区')
    >>> split_name("幸福家园", "06200"), split_name("张家园", "06200")
    (('幸福', '家园'), ('张家', '园'))
    """
    name = name.strip()
    own = generics_for(class_code)
    found = next((g for g in own if name.endswith(g)), "")
    longer = next((g for g in _distinctive_generics() if len(g) > len(found) and name.endswith(g)), None)
    generic = longer or found
    if generic.startswith("家") and _surname_before(name, generic):
        # 王家园, 张家园: the 王/张 family's 园 — 家 belongs to the 专名, 家园 is not the 通名
        generic = generic[1:] if generic[1:] in _all_generics() else ""
    return (name[: -len(generic)], generic) if generic else (name, "")


def _surname_before(name: str, generic: str) -> bool:
    from layers.gazetteer.people import surnames

    head = name[: -len(generic)]
    return any(head.endswith(s) for s in surnames())


@cache
def _all_generics() -> frozenset[str]:
    return frozenset({g for c in class_table().values() for g in c.generics} | set(COMMON_GENERICS))


def classes_with_generic(generic: str) -> list[PlaceClass]:
    """The classes that list ``generic`` as one of their own."""
    return [c for c in class_table().values() if generic in c.generics]
