"""What 《地名管理条例》 (2022) Art. 9 says a name may not be made of, from lists kept as data.

The lists (``data/place_names/``, sources in ``SOURCES.md``; the place-names office edits them):
``leaders.csv`` (party and state leaders), ``foreign_countries.csv`` (country and territory names in
Chinese, generated from Unicode CLDR through Babel: ``python -m layers.gazetteer.art9``),
``foreign_places.csv`` (foreign cities, regions, landmarks and persons), ``enterprises.csv``
(enterprise names and trademarks), ``exaggerations.csv`` ("大、洋、怪、重" words), and for the
person-name rule ``surnames.txt`` + ``given_name_chars.txt`` (``layers.gazetteer.people``).

Matching is by word, not by substring. A listed term hits only where it stands as a word of the
name: it starts at the start of the name, right after a 通名 (any class's generic, e.g. 城, 广场)
or after one leading modifier (新, 东, 大 …), and it ends at the end of the 专名 (where the 通名
begins), at the end of the name, or right before a 通名. So 江泽民路 hits 江泽民 but 长江泽民村 does
not (the span starts after 长, inside a word), 纽约花园 and 新纽约花园 hit 纽约, 内蒙古路 does not hit
蒙古. Names of natural villages (自然村, written as one word by the 1984 spelling rules) record
settler families as surname + one character + 屯/堡/庄…: there a two-character term is not taken
for a person (朱德屯 is the 朱 family's 德屯, not 朱德) and the person-name rule does not apply.

>>> [(h.rule, h.severity) for h in art9_problems("习近平大街", "07100")]
[('leader', 'error')]
>>> art9_problems("朱德屯", "06100"), art9_problems("长江泽民村", "04100"), art9_problems("内蒙古路", "07100")
([], [], [])
>>> [(h.rule, h.term) for h in art9_problems("新纽约花园", "06200")]
[('foreign', '纽约')]
>>> [(h.rule, h.severity) for h in art9_problems("张伟路", "07100")], art9_problems("王府井大街", "07100")
([('person', 'warning')], [])
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from layers.gazetteer.classes import COMMON_GENERICS, class_table, split_name
from layers.gazetteer.people import is_person_name

DATA = Path(__file__).resolve().parents[2] / "data" / "place_names"
ARTICLE = "《地名管理条例》（2022）第九条"
# rule → (what may not be used, basis)
RULES = {
    "leader": ("国家领导人的名字", f"{ARTICLE}：不以国家领导人的名字作地名"),
    "person": ("人名", f"{ARTICLE}：一般不以人名作地名"),  # "一般": a warning, weighed by staff
    "foreign": ("外国人名、地名", f"{ARTICLE}：不以外国人名、地名作地名"),
    "trademark": ("企业名称或商标名称", f"{ARTICLE}：不以企业名称或者商标名称作地名"),
    "exaggeration": ("夸大、崇洋、怪异的用词", f"{ARTICLE}：地名应含义健康，符合地理实体的实际规模等特征；"
                                      "民政部等部门“大、洋、怪、重”不规范地名清理整治（民发〔2018〕146号）"),
}
# one-syllable modifiers that may stand before a listed word (新纽约, 东巴黎); not 内/外/中/上…,
# which make Chinese names of their own (内蒙古, 中非 …)
MODIFIERS = frozenset("东西南北新老大小")
# Babel territory codes that are not foreign countries: China and its regions, groupings, pseudo-locales
NOT_FOREIGN = frozenset({"CN", "HK", "MO", "TW", "EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


@dataclass(frozen=True)
class Term:
    term: str
    rule: str
    severity: str
    note: str


@dataclass(frozen=True)
class Hit:
    rule: str
    severity: str
    term: str
    message: str
    basis: str


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if (r.get("term") or "").strip()]


@cache
def listed_terms() -> tuple[Term, ...]:
    """Every listed term, longest first (so 阿姆斯特丹 is reported, not a shorter term inside it)."""
    terms = [Term(r["term"].strip(), "leader", r["severity"].strip(), r["role"]) for r in _rows("leaders.csv")]
    terms += [Term(r["term"].strip(), "foreign", "error", "外国国家或地区名") for r in _rows("foreign_countries.csv")]
    terms += [Term(r["term"].strip(), "foreign", "error", "") for r in _rows("foreign_places.csv")]
    terms += [Term(r["term"].strip(), "trademark", r["severity"].strip(), r["note"])
              for r in _rows("enterprises.csv")]
    terms += [Term(r["term"].strip(), "exaggeration", "warning", r["note"]) for r in _rows("exaggerations.csv")]
    return tuple(sorted(terms, key=lambda t: -len(t.term)))


@cache
def listed_persons() -> frozenset[str]:
    """Leaders and the foreign persons of the lists: names of people, whatever the rule says of them."""
    return frozenset([r["term"].strip() for r in _rows("leaders.csv")]
                     + [r["term"].strip() for r in _rows("foreign_places.csv") if r["kind"].strip() == "person"])


@cache
def _generics() -> tuple[str, ...]:
    every = {g for c in class_table().values() for g in c.generics} | set(COMMON_GENERICS)
    return tuple(sorted(every, key=len, reverse=True))


def word_bounded(name: str, specific: str, start: int, end: int) -> bool:
    """Whether ``name[start:end]`` stands as a word (see the module docstring)."""
    generics = _generics()
    left = (start == 0 or (start == 1 and name[0] in MODIFIERS)
            or any(name[:start].endswith(g) for g in generics))
    right = (end in (len(name), len(specific)) or any(name[end:].startswith(g) for g in generics))
    return left and right


def _hit(rule: str, severity: str, term: str, note: str) -> Hit:
    what, basis = RULES[rule]
    detail = f"（{note}）" if note else ""
    should = "一般不应" if rule == "person" else "不应"
    return Hit(rule, severity, term, f"含有“{term}”{detail}：{should}以{what}作地名", basis)


def art9_problems(name: str, class_code: str | None) -> list[Hit]:
    """The listed words that stand as words of ``name`` (each term once), then the person-name rule."""
    specific, _generic = split_name(name, class_code)
    place_class = class_table().get(class_code or "")
    one_word = bool(place_class and place_class.one_word)
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for t in listed_terms():
        if one_word and len(t.term) <= 2 and t.rule == "leader":
            continue
        start = name.find(t.term)
        while start >= 0:
            end = start + len(t.term)
            inside_longer = any(a <= start and end <= b for a, b in taken)
            if not inside_longer and word_bounded(name, specific, start, end):
                hits.append(_hit(t.rule, t.severity, t.term, t.note))
                taken.append((start, end))
                break
            start = name.find(t.term, start + 1)
    if not one_word and not any(h.rule == "leader" for h in hits) and is_person_name(specific):
        hits.append(_hit("person", "warning", specific, "形似姓名：姓氏加名字"))
    return hits


def build_countries(target: Path = DATA / "foreign_countries.csv") -> int:
    """Write the foreign country and territory names in Chinese from CLDR (Babel's ``Locale('zh')``)."""
    import babel
    from babel import Locale

    rows = sorted((code, name) for code, name in Locale("zh").territories.items()
                  if code.isalpha() and code not in NOT_FOREIGN)
    source = f"Unicode CLDR via Babel {babel.__version__} (Locale('zh').territories)"
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "term", "source"])
        writer.writerows([code, name, source] for code, name in rows)
    return len(rows)


if __name__ == "__main__":  # python -m layers.gazetteer.art9 [target.csv]
    print(build_countries(*(Path(a) for a in sys.argv[1:2])), "countries and territories written")
