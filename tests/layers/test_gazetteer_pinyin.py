"""Place-name pinyin, the class table, the 通用规范汉字表 and the text-only naming rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from layers.gazetteer.charset import general_standard_characters, outside_table
from layers.gazetteer.classes import class_table, major_classes, split_name
from layers.gazetteer.pinyin import POLYPHONES_FILE, fold, polyphones, query_keys, suggest
from layers.gazetteer.rules import text_problems


@pytest.mark.parametrize(("name", "class_code", "toneless", "toned"), [
    ("海城市", "03100", "Haicheng Shi", "Hǎichéng Shì"),
    ("海州街道", "03100", "Haizhou Jiedao", "Hǎizhōu Jiēdào"),
    ("腾鳌镇", "03100", "Teng'ao Zhen", "Téng'áo Zhèn"),
    ("海城河", "01100", "Haicheng He", "Hǎichéng Hé"),
    ("西辽河", "01100", "Xiliao He", "Xīliáo Hé"),
    ("王村", "06100", "Wangcun", "Wángcūn"),
    ("十里堡", "06100", "Shilipu", "Shílǐpù"),            # polyphone: 堡 pù in post-station names
    ("单家窝棚", "06100", "Shanjiawopeng", "Shànjiāwōpeng"),  # surname 单 shàn, 棚 neutral
    ("长甸镇", "03100", "Changdian Zhen", "Chángdiàn Zhèn"),  # 长 cháng, 甸 diàn
    ("西安路", "07100", "Xi'an Lu", "Xī'ān Lù"),
    ("人民东路", "07100", "Renmin Donglu", "Rénmín Dōnglù"),  # a one-syllable modifier joins the 通名
    ("西关南大街", "07100", "Xiguan Nandajie", "Xīguān Nándàjiē"),
    ("河东路", "07100", "Hedong Lu", "Hédōng Lù"),  # 河东 is the 专名 itself: too short to lose a syllable
    ("经五路", "07100", "Jing 5 Lu", "Jīng 5 Lù"),
    ("纬十二路", "07100", "Wei 12 Lu", "Wěi 12 Lù"),
    ("王家村", "04100", "Wangjia Cun", "Wángjiā Cūn"),
])
def test_suggested_spelling(name, class_code, toneless, toned):
    spelling = suggest(name, class_code)
    assert (spelling.toneless, spelling.toned) == (toneless, toned)


CASES_FILE = Path(__file__).parent / "data" / "gazetteer_pinyin_cases.csv"
with CASES_FILE.open(encoding="utf-8") as _f:
    CASES = [(r["name"], r["class_code"], r["expected"], r["clause"]) for r in csv.DictReader(_f)]


def test_the_case_file_covers_the_rules():
    assert len(CASES) == 256
    clauses = " ".join(c[3] for c in CASES)
    for rule in ("§1", "§2", "§3", "§4", "§5", "§6", "§7", "§8", "§10", "§11", "§12", "§14", "GB/T 16159-2012 §6.3"):
        assert rule in clauses, rule


@pytest.mark.parametrize(("name", "class_code", "expected", "clause"), CASES, ids=[c[0] for c in CASES])
def test_spelling_by_the_1984_rules(name, class_code, expected, clause):
    assert suggest(name, class_code).toneless == expected, clause


def test_polyphones_are_data_with_a_source_per_row():
    with POLYPHONES_FILE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(r["source"].strip() and r["kind"] in ("char", "surname", "context") for r in rows)
    table = polyphones()
    assert (table.chars["曾"], table.chars["什"], table.chars["咀"], table.surnames["单"]) == (
        "zēng", "shí", "zuǐ", "shàn")
    assert ("朝阳", 0, "cháo") in table.contexts
    # toned: the readings of the table, and 儿 as r
    assert [suggest(n, c).toned for n, c in (("朝阳镇", "03100"), ("盆儿胡同", "07100"), ("石咀子", "06100"))] == [
        "Cháoyáng Zhèn", "Pénr Hútòng", "Shízuǐzi"]


def test_keys_and_initials():
    assert (suggest("海城市", "03100").key, suggest("海城市", "03100").initials) == ("haichengshi", "hcs")
    assert suggest("腾鳌镇", "03100").initials == "taz"
    assert fold("Téng'áo Zhèn") == "tengaozhen"
    assert query_keys("HAI cheng") == ["haicheng"]
    assert query_keys("hai3cheng2") == ["hai3cheng2", "haicheng"]


def test_class_table_has_the_eleven_surveyed_major_classes():
    assert list(major_classes().values()) == [
        "陆地水系", "陆地地形", "行政区域", "群众自治组织", "非行政区域", "居民点", "交通运输设施",
        "水利电力通信设施", "纪念地旅游景点", "建筑物", "单位"]
    assert all(len(code) == 5 and code.isdigit() for code in class_table())
    assert {c.scope for c in class_table().values()} == {"county", "built_up", "townships",
                                                        "county_advisory", "none"}
    assert split_name("人民大街", "07100") == ("人民", "大街")


def test_general_standard_character_table():
    table = general_standard_characters()
    assert len(table) == 8105
    assert sum(1 for level in table.values() if level == 1) == 3500
    assert sum(1 for level in table.values() if level == 2) == 3000
    assert outside_table("王家堡砬子") == []
    assert outside_table("㐂家屯") == ["㐂"]


@pytest.mark.parametrize(("name", "class_code", "expected"), [
    ("海城市", "03100", []),
    ("村", "06100", [("generic_only", "error")]),
    ("海城", "03100", [("missing_generic", "warning")]),
    ("㐂家屯", "06100", [("rare_character", "error")]),
    ("海城Ａ路", "07100", [("script", "error")]),
    ("曼哈顿小区", "06200", [("foreign", "error")]),
    ("万达广场", "10200", [("trademark", "error")]),
    ("至尊花园", "06200", [("exaggeration", "warning")]),
    ("毛泽东路", "07100", [("leader", "error")]),
    ("幸福路", "99999", [("unknown_class", "error")]),
])
def test_text_rules(name, class_code, expected):
    problems, _ = text_problems(name, class_code)
    assert [(p.rule, p.severity) for p in problems] == expected
