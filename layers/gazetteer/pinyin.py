"""Pinyin for place names: a suggestion following the place-name spelling rules (GB/T 16159, 1984 rules).

专名 and 通名 are written apart, each capitalised; natural villages are one word; an apostrophe
goes before a/o/e opening a non-initial syllable of a word; the ordinal number of a street is
written in digits. Polyphonic characters take the reading used in place names (a small table of
characters, surnames and contexts below). This is a *suggestion*: what is stored is the spelling
staff approve, and they may override any reading.

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
>>> suggest("经五路", "07100").toneless, suggest("纬十二路", "07100").toneless, suggest("二道街", "07100").toneless
('Jing 5 Lu', 'Wei 12 Lu', 'Erdao Jie')
>>> s = suggest("海城市", "03100"); s.key, s.initials
('haichengshi', 'hcs')
>>> suggest("绿水村", "06100").toneless, fold("Lǜshuǐcūn")
('Lüshuicun', 'lvshuicun')
>>> suggest("", "06100").toneless
''
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, pinyin

from layers.gazetteer.classes import class_table, split_name

# Readings that place names use for polyphonic characters (toned).
CHARACTER_READINGS = {
    "长": "cháng", "甸": "diàn", "家": "jiā", "屯": "tún", "台": "tái", "落": "luò", "岗": "gǎng",
    "泡": "pāo",  # 泡子: small lake in north-eastern names
    "洼": "wā", "坨": "tuó", "砬": "lá", "场": "chǎng", "营": "yíng", "峪": "yù", "窝": "wō", "棚": "peng",
}
# Surnames read differently from the common word when they open a 某家/某庄… name.
SURNAME_READINGS = {
    "单": "shàn", "解": "xiè", "曾": "zēng", "朴": "piáo", "仇": "qiú", "区": "ōu", "查": "zhā",
    "盖": "gě", "翟": "zhái", "覃": "qín", "尉": "yù", "缪": "miào",
}
SURNAME_FOLLOWERS = "家庄屯堡店营村沟窝"
# (context, index of the character in it, reading): 十里堡-type post-station names read 堡 pù.
CONTEXT_READINGS = (("里堡", 1, "pù"), ("里铺", 1, "pù"))

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
ROAD_CLASSES = {"07100"}
# direction words that, right before a road's 通名, belong to it (the 1984 rules: Xizhimenwai Nandajie)
ROAD_MODIFIERS = frozenset("东西南北中前后上下内外")
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


def readings(text: str) -> list[str]:
    """Toned syllables of ``text`` with the place-name readings applied; non-Chinese runs kept as they are."""
    keep_each_char = lambda s: list(s)  # noqa: E731 - one item per non-Chinese character keeps the alignment
    raw = [item[0] for item in pinyin(text, style=Style.TONE, errors=keep_each_char)]  # type: ignore[arg-type]
    chars = list(text)
    out = []
    for i, (char, reading) in enumerate(zip(chars, raw, strict=True)):
        reading = CHARACTER_READINGS.get(char, reading)
        if char in SURNAME_READINGS and i + 1 < len(chars) and chars[i + 1] in SURNAME_FOLLOWERS and (
                i == 0 or chars[i - 1] not in SURNAME_READINGS):
            reading = SURNAME_READINGS[char]
        for context, index, special in CONTEXT_READINGS:
            start = i - index
            if start >= 0 and text[start:start + len(context)] == context:
                reading = special
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


def _words(text: str, syllables: list[str], ordinal: bool) -> list[list[str]]:
    """Split one part (专名 or 通名) into words; a trailing ordinal number of a road becomes digits."""
    if ordinal:
        k = len(text)
        while k > 0 and text[k - 1] in NUMERALS:
            k -= 1
        number = _number(text[k:])
        if number is not None and k > 0:
            return [syllables[:k], [str(number)]]
    return [syllables] if syllables else []


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
    spec, gen = toned[: len(specific)], toned[len(specific):]
    if place_class and place_class.one_word or not specific or not generic:
        groups = [toned]
    else:
        road, head = class_code in ROAD_CLASSES, specific
        if road and len(head) >= 3 and head[-1] in ROAD_MODIFIERS:
            # a one-syllable modifier of the 通名 joins it: 人民东路 → Renmin Donglu, 景山后街 → Jingshan Houjie
            head, spec, gen = head[:-1], spec[:-1], spec[-1:] + gen
        groups = [*_words(head, spec, road), gen]
    toned_text = " ".join(_join(g) for g in groups)
    return Spelling(strip_tones(toned_text), toned_text, specific, generic)


def looks_like_pinyin(query: str) -> bool:
    """A query typed in Latin letters (with tone marks, digits, spaces or apostrophes).

    >>> looks_like_pinyin("hcs"), looks_like_pinyin("Hǎi chéng"), looks_like_pinyin("海城"), looks_like_pinyin("")
    (True, True, False, False)
    """
    plain = strip_tones(query).replace("ü", "v")
    return bool(plain.strip()) and bool(re.fullmatch(r"[A-Za-z0-9' :\-]+", plain))
