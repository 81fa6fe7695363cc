"""Pinyin for place names: a suggestion following 《中国地名汉语拼音字母拼写规则（汉语地名部分）》
(中国地名委员会等, 1984; "§n" below is its rule n) and GB/T 16159-2012 §6.3.

- §1: 专名 and 通名 written apart, each capitalised (海城市 Haicheng Shi; 汾河 Fen He).
- §2: a one-syllable modifier joins the part it modifies (西辽河 Xiliao He, 潮白新河 Chaobai Xinhe,
  人民东路 Renmin Donglu, 修文西小巷 Xiuwen Xixiaoxiang); a modifier of two or more syllables stands apart.
- §3: natural villages are one word (王村 Wangcun); §4: a 通名 that became part of a 专名 is written
  with it (解放路南小街 Jiefanglu Nanxiaojie); §5: a person's name is one word (毛泽东路 Maozedong Lu,
  not a direction 东 in 路).
- §6: numbers in words (三八路 Sanba Lu); §7: ordinals of streets in digits (二马路 2 Malu, 三环路
  3 Huanlu, 经五路 Jing 5 Lu, 大川淀一巷 Dachuandian 1 Xiang).
- §8: polyphonic characters take the place-name reading: the table ``data/place_names/polyphones.csv``
  (one row per character, surname or context, each with its source; the place-names office extends it).
- §11: an apostrophe before a/o/e opening a non-initial syllable (西安 Xi'an); §12: 儿 written r
  (盆儿胡同 Penr Hutong).
- §14: names of units — an administrative 通名 inside the 专名 stands apart, a unit 通名 with its
  modifiers is one word (和平村村民委员会 Heping Cun Cunminweiyuanhui).

This is a *suggestion*: what is stored is the spelling staff approve (``pinyin_manual`` marks one
they wrote by hand; ``haicheng-gis pinyin regenerate`` keeps those).

>>> suggest("海城市", "03100").toneless, suggest("海城市", "03100").toned
('Haicheng Shi', 'Hǎichéng Shì')
>>> suggest("海城河", "01100").toneless, suggest("西辽河", "01100").toneless
('Haicheng He', 'Xiliao He')
>>> suggest("王村", "06100").toneless, suggest("王家堡", "06100").toneless
('Wangcun', 'Wangjiabao')
>>> suggest("西安路", "07100").toneless, suggest("腾鳌镇", "03100").toneless
("Xi'an Lu", "Teng'ao Zhen")
>>> suggest("十里堡", "06100").toneless, suggest("八里堡", "06100").toneless
('Shilipu', 'Balipu')
>>> suggest("长甸镇", "03100").toneless, suggest("单家屯", "06100").toneless, suggest("解家沟", "06100").toneless
('Changdian Zhen', 'Shanjiatun', 'Xiejiagou')
>>> suggest("经五路", "07100").toneless, suggest("纬十二路", "07100").toneless, suggest("二马路", "07100").toneless
('Jing 5 Lu', 'Wei 12 Lu', '2 Malu')
>>> s = suggest("海城市", "03100"); s.key, s.initials
('haichengshi', 'hcs')
>>> suggest("绿水村", "06100").toneless, fold("Lǜshuǐcūn")
('Lüshuicun', 'lvshuicun')
>>> suggest("", "06100").toneless
''
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pypinyin import Style, pinyin

from layers.gazetteer.classes import class_table, split_name

POLYPHONES_FILE = Path(__file__).resolve().parents[2] / "data" / "place_names" / "polyphones.csv"
# a surname's reading applies when it opens a 某家/某庄… name (单家屯 Shanjiatun)
SURNAME_FOLLOWERS = "家庄屯堡店营村沟窝"

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
ROAD_CLASSES = {"07100"}
# one-syllable modifiers that join the 通名 they modify (§2: 景山后街 Jingshan Houjie, 修文西小巷,
# 清波门直街 Qingbomen Zhijie); not 内/外, which belong to the place before them (朝阳门内大街 Chaoyangmennei Dajie)
MODIFIERS = frozenset("东西南北中前后左右上下新老大小直")
# one-character 通名 that a 专名 may end with (§4: 天宁寺西里一巷 Tianningsi Xili 1 Xiang — 西里 is a place)
INNER_GENERICS = frozenset("里街路巷")
# a city gate ends a place name inside a 专名 (§2: 广安门/北滨河/路; 朝阳门内/大街)
GATE = re.compile(r"^(.{2,}?门[内外]?)(.{2,})$")
# the seat's 通名 that stands apart before a committee's 通名 (§14, as 浙江/省/测绘局): only 村 and 社区,
# since 什司县村 is a village named 什司县
SEATS = ("社区", "村")
_VOWEL_START = re.compile(r"^[aoeāáǎàōóǒòēéěè]")


@dataclass(frozen=True)
class Spelling:
    """A suggested spelling: toneless and toned forms, the search key and the initials."""

    toneless: str
    toned: str
    specific: str
    generic: str

    @property
    def key(self) -> str:
        return fold(self.toneless)

    @property
    def initials(self) -> str:
        return "".join(w if w.isdigit() else w[:1] for w in _syllable_words(self.toneless))


def strip_tones(text: str) -> str:
    """Remove tone marks, keep ü. ``'Lǜshuǐ'`` → ``'Lüshui'``."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed
                                                 if not ("\u0300" <= c <= "\u036f") or c == "\u0308"))


def fold(text: str) -> str:
    """The search key: lower case, no tones, ü as v, letters and digits only (same as SQL).

    >>> fold("Xi'an Lu"), fold("hǎi chéng  shì"), fold("Wei 12 Lu"), fold("")
    ('xianlu', 'haichengshi', 'wei12lu', '')
    """
    plain = strip_tones(text).lower().replace("ü", "v").replace("u:", "v")
    return re.sub(r"[^a-z0-9]", "", plain)


def query_keys(query: str) -> list[str]:
    """Search keys for a typed query: as folded, and without tone numbers (``hai3cheng2``) if any.

    >>> query_keys("Hai3 cheng2"), query_keys("hcs"), query_keys("海城")
    (['hai3cheng2', 'haicheng'], ['hcs'], [])
    """
    key = fold(query)
    if not key:
        return []
    plain = re.sub(r"(?<=[a-z])[1-5]", "", key)
    return [key] if plain == key or not plain else [key, plain]


def _syllable_words(toneless: str) -> list[str]:
    return [s.lower() for s in re.findall(r"[0-9]+|[A-Za-zÜü]+", toneless.replace("'", " "))
            for s in _split_word(s)] if toneless else []


_SYLLABLE = re.compile(
    r"^(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|an|ao|ei|"
    r"en|er|ia|ie|in|iu|ou|ua|ue|ui|un|uo|ve|vn|a|e|i|o|u|v)|ang|eng|ai|an|ao|ei|en|er|ou|a|e|o)$")


def _split_word(word: str) -> list[str]:
    """Syllables of one pinyin word (fewest syllables; none but the first opens with a vowel)."""
    if word.isdigit():
        return [word]
    w = word.lower().replace("ü", "v")
    best: dict[int, tuple[int, int]] = {0: (0, -1)}
    for i in range(len(w)):
        if i not in best:
            continue
        for j in range(i + 1, min(len(w), i + 6) + 1):
            part = w[i:j]
            if _SYLLABLE.match(part) and (i == 0 or part[0] not in "aoe"):
                if j not in best or best[i][0] + 1 < best[j][0]:
                    best[j] = (best[i][0] + 1, i)
    if len(w) not in best:
        return [w]
    out, j = [], len(w)
    while j > 0:
        i = best[j][1]
        out.append(w[i:j])
        j = i
    return out[::-1]


@dataclass(frozen=True)
class Polyphones:
    """The place-name readings of ``polyphones.csv``: by character, by surname, by context."""

    chars: dict[str, str]
    surnames: dict[str, str]
    contexts: tuple[tuple[str, int, str], ...]


@cache
def polyphones(path: Path = POLYPHONES_FILE) -> Polyphones:
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("text") or "").strip()]
    by_kind: dict[str, list[dict[str, str]]] = {"char": [], "surname": [], "context": []}
    for r in rows:
        by_kind[r["kind"].strip()].append(r)
    return Polyphones({r["text"]: r["reading"] for r in by_kind["char"]},
                      {r["text"]: r["reading"] for r in by_kind["surname"]},
                      tuple((r["text"], int(r["position"]), r["reading"]) for r in by_kind["context"]))


def readings(text: str) -> list[str]:
    """Toned syllables of ``text`` with the place-name readings applied; non-Chinese runs kept as they are;
    a 儿 after a syllable is its r (§12: 盆儿 → pénr, the 儿 itself then an empty item).
    """
    keep_each_char = lambda s: list(s)  # noqa: E731 - one item per non-Chinese character keeps the alignment
    raw = [item[0] for item in pinyin(text, style=Style.TONE, errors=keep_each_char)]  # type: ignore[arg-type]
    table = polyphones()
    chars = list(text)
    out: list[str] = []
    for i, (char, reading) in enumerate(zip(chars, raw, strict=True)):
        reading = table.chars.get(char, reading)
        if char in table.surnames and i + 1 < len(chars) and chars[i + 1] in SURNAME_FOLLOWERS and (
                i == 0 or chars[i - 1] not in table.surnames):
            reading = table.surnames[char]
        for context, index, special in table.contexts:
            start = i - index
            if start >= 0 and text[start:start + len(context)] == context:
                reading = special
        if char == "儿" and out and out[-1]:
            out[-1] += "r"
            reading = ""
        out.append(reading)
    return out


def _number(chars: str) -> int | None:
    """一..九十九 → int; anything else None."""
    if not chars or any(c not in NUMERALS for c in chars):
        return None
    if len(chars) == 1:
        return NUMERALS[chars]
    if len(chars) == 2 and chars[0] == "十":
        return 10 + NUMERALS[chars[1]]
    if len(chars) == 2 and chars[1] == "十":
        return NUMERALS[chars[0]] * 10
    if len(chars) == 3 and chars[1] == "十":
        return NUMERALS[chars[0]] * 10 + NUMERALS[chars[2]]
    return None


def _join(syllables: list[str]) -> str:
    word = ""
    for s in syllables:
        word += ("'" if word and _VOWEL_START.match(s) else "") + s
    return word[:1].upper() + word[1:]


def _ordinal_start(text: str) -> int | None:
    """Where a road's trailing ordinal starts (§7), or None. Of the readings of a run of numerals, the one that
    leaves a 专名 of two characters or more wins, and a 专名 never ends in 十: 东四十二条 is 东四 + 12
    (Dongsi 12 Tiao), 纬十二路 纬 + 12, 经五路 经 + 5.
    """
    k = len(text)
    while k > 0 and text[k - 1] in NUMERALS:
        k -= 1
    if k == 0:  # only numerals: a number in words (§6: 三八路 Sanba Lu)
        return None
    starts = [i for i in range(k, len(text)) if text[i - 1] != "十" and _number(text[i:]) is not None]
    return next((i for i in starts if i >= 2), starts[0] if starts else None)


def _place_words(text: str, syllables: list[str]) -> list[list[str]]:
    """A 专名 that holds two places: a first one ending at a city gate (§2: 广安门北滨河路 Guang'anmen Beibinhe
    Lu), or a last one of a modifier and a one-character 通名 (§4: 天宁寺西里 Tianningsi Xili).
    """
    gate = GATE.match(text)
    if gate and not set(gate.group(2)) <= MODIFIERS:
        cut = len(gate.group(1))
        return [syllables[:cut], syllables[cut:]]
    if len(text) >= 4 and text[-1] in INNER_GENERICS and text[-2] in MODIFIERS:
        return [syllables[:-2], syllables[-2:]]
    return [syllables] if syllables else []


def _words(text: str, syllables: list[str], ordinal: bool) -> list[list[str]]:
    """Split one part (专名) into words; a trailing ordinal number of a road becomes digits (§7), and so does
    the ordinal of 第 (第九弄 Di-9 Long); 第 and its number stand apart from the rest (§6: 第二松花江 Di'er
    Songhua Jiang).
    """
    if text.startswith("第") and len(text) > 1:
        k = 1
        while k < len(text) and text[k] in NUMERALS:
            k += 1
        number = _number(text[1:k])
        if number is not None and k == len(text) and ordinal:
            return [[f"{syllables[0]}-{number}"]]
        if number is not None and len(text) - k >= 2:
            return [syllables[:k], *_words(text[k:], syllables[k:], ordinal)]
    if ordinal:
        start = _ordinal_start(text)
        if start is not None:
            return [*_place_words(text[:start], syllables[:start]), [str(_number(text[start:]))]]
    return _place_words(text, syllables)


def _is_person(specific: str) -> bool:
    from layers.gazetteer.art9 import listed_persons
    from layers.gazetteer.people import is_person_name

    return specific in listed_persons() or is_person_name(specific)


def _modifiers(head: str, generic: str, road: bool) -> int:
    """How many one-syllable modifiers at the end of the 专名 belong to a one-syllable 通名 (§2), at most
    two (南小街), leaving at least two characters of 专名; none in a person's name (§5). A street whose
    专名 is two modifiers keeps the first as its 专名 (§2: 南小街 Nan Xiaojie; not a township: 中小镇 Zhongxiao Zhen).
    """
    base_is_one_syllable = len(generic) == 1 or len(generic) == 2 and generic[0] in MODIFIERS
    if not base_is_one_syllable or _is_person(head):
        return 0
    if road and len(head) == 2 and set(head) <= MODIFIERS:
        return 1
    count = 0
    while count < 2 and len(head) - count > 2 and head[-1 - count] in MODIFIERS:
        count += 1
    return count


def _segments(specific: str, generic: str, spec: list[str], gen: list[str], class_code: str | None) -> list[list[str]]:
    """The words of a name that has both parts (§1, §2, §4, §5, §7, §14)."""
    road = class_code in ROAD_CLASSES
    if road and len(specific) == 2 and specific[0] in NUMERALS and specific[1] not in NUMERALS and len(generic) == 1:
        return [[str(NUMERALS[specific[0]])], spec[1:] + gen]  # §7: 二马路 2 Malu, 三环路 3 Huanlu
    peel = _modifiers(specific, generic, road)
    if peel:
        return [*_words(specific[:-peel], spec[:-peel], road), spec[-peel:] + gen]
    if len(generic) > 1:  # §14: 和平村/村民委员会 → 和平/村/村民委员会
        seat = next((a for a in SEATS if specific.endswith(a) and len(specific) - len(a) >= 2), None)
        if seat:
            return [spec[:-len(seat)], spec[-len(seat):], gen]
    return [*_words(specific, spec, road), gen]


def suggest(name: str, class_code: str | None = None, specific: str | None = None,
            generic: str | None = None) -> Spelling:
    """The suggested spelling of ``name`` for its class (专名/通名 found from the class table if not given)."""
    name = (name or "").strip()
    if specific is None or generic is None or specific + generic != name:
        specific, generic = split_name(name, class_code)
    if not name:
        return Spelling("", "", "", "")
    place_class = class_table().get(class_code or "")
    toned = readings(name)
    if place_class and place_class.one_word or not specific or not generic:
        groups = [toned]
    else:
        groups = _segments(specific, generic, toned[: len(specific)], toned[len(specific):], class_code)
    toned_text = " ".join(_join(g) for g in groups if "".join(g))
    return Spelling(strip_tones(toned_text), toned_text, specific, generic)


def looks_like_pinyin(query: str) -> bool:
    """A query typed in Latin letters (with tone marks, digits, spaces or apostrophes).

    >>> looks_like_pinyin("hcs"), looks_like_pinyin("Hǎi chéng"), looks_like_pinyin("海城"), looks_like_pinyin("")
    (True, True, False, False)
    """
    plain = strip_tones(query).replace("ü", "v")
    return bool(plain.strip()) and bool(re.fullmatch(r"[A-Za-z0-9' :\-]+", plain))
