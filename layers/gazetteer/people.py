"""Persons in names: common surnames and given-name characters (data files), and the person-name test.

Used by Art. 9's person-name rule (``layers.gazetteer.art9``), by the spelling rules (a person's name
in a place name is written as one word, 1984 rules §5) and by the 专名/通名 split (王家园 is the 王
family's 园, not 王 + 家园).

>>> is_person_name("张伟"), is_person_name("王秀英"), is_person_name("欧阳娜娜"), is_person_name("王府井")
(True, True, True, False)
>>> is_surname("王"), is_surname("和")
(True, False)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "place_names"


def _lines(name: str) -> list[str]:
    return [line.strip() for line in (DATA / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@cache
def surnames() -> tuple[str, ...]:
    """Common surnames (``surnames.txt``), compound ones first."""
    return tuple(sorted(_lines("surnames.txt"), key=len, reverse=True))


@cache
def given_name_chars() -> frozenset[str]:
    return frozenset(_lines("given_name_chars.txt"))


def is_surname(text: str) -> bool:
    return text in surnames()


def is_person_name(text: str) -> bool:
    """Surname + a given name of one or two characters typical of given names (张伟, 王秀英, 欧阳娜娜)."""
    for surname in surnames():
        given = text[len(surname):]
        if text.startswith(surname) and 1 <= len(given) <= 2 and all(c in given_name_chars() for c in given):
            return True
    return False
