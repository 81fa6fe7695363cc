"""《地名管理条例》 Art. 9's lists (leaders, persons, foreign names, enterprises, 大洋怪重), matched by word."""

from __future__ import annotations

import csv

import pytest

from layers.gazetteer.art9 import DATA, art9_problems, listed_terms
from layers.gazetteer.rules import text_problems

LEADER = "《地名管理条例》（2022）第九条：不以国家领导人的名字作地名"
PERSON = "《地名管理条例》（2022）第九条：一般不以人名作地名"
FOREIGN = "《地名管理条例》（2022）第九条：不以外国人名、地名作地名"
TRADEMARK = "《地名管理条例》（2022）第九条：不以企业名称或者商标名称作地名"


def hits(name: str, class_code: str) -> list[tuple[str, str, str]]:
    return [(h.rule, h.severity, h.term) for h in art9_problems(name, class_code)]


@pytest.mark.parametrize(("name", "class_code", "expected"), [
    # names that passed before: leaders past and present
    ("习近平大街", "07100", [("leader", "error", "习近平")]),
    ("江泽民路", "07100", [("leader", "error", "江泽民")]),
    ("胡锦涛路", "07100", [("leader", "error", "胡锦涛")]),
    ("毛泽东广场", "09200", [("leader", "error", "毛泽东")]),
    ("周恩来纪念馆", "09100", [("leader", "error", "周恩来")]),   # a 通名 right after the name
    ("朱德路", "07100", [("leader", "error", "朱德")]),
    ("李克强小区", "06200", [("leader", "error", "李克强")]),
    ("万里路", "07100", [("leader", "warning", "万里")]),        # also a common word: weighed by staff
    # foreign countries (CLDR) and cities
    ("纽约花园", "06200", [("foreign", "error", "纽约")]),
    ("普罗旺斯小区", "06200", [("foreign", "error", "普罗旺斯")]),
    ("莫斯科路", "07100", [("foreign", "error", "莫斯科")]),
    ("新纽约花园", "06200", [("foreign", "error", "纽约")]),     # one modifier before the word
    ("美国花园", "06200", [("foreign", "error", "美国")]),
    ("意大利花园", "06200", [("foreign", "error", "意大利")]),
    ("阿姆斯特丹公寓", "06200", [("foreign", "error", "阿姆斯特丹")]),
    # enterprises and trademarks
    ("保利花园", "06200", [("trademark", "error", "保利")]),
    ("鞍钢小区", "06200", [("trademark", "error", "鞍钢")]),
    ("万达广场", "10200", [("trademark", "error", "万达")]),
    # 大洋怪重
    ("国际城", "06200", [("exaggeration", "warning", "国际")]),
    ("中央公馆", "06200", [("exaggeration", "warning", "中央")]),
    ("帝景花园", "06200", [("exaggeration", "warning", "帝景")]),
    ("欧洲城", "06200", [("exaggeration", "warning", "欧洲")]),      # 民发〔2018〕146号's examples
    # persons: surname + given name, a warning
    ("张伟路", "07100", [("person", "warning", "张伟")]),
    ("王秀英街", "07100", [("person", "warning", "王秀英")]),
    ("欧阳娜娜路", "07100", [("person", "warning", "欧阳娜娜")]),
])
def test_listed_words_hit(name, class_code, expected):
    assert hits(name, class_code) == expected


@pytest.mark.parametrize(("name", "class_code"), [
    ("朱德屯", "06100"),       # a natural village: 朱 family's 德屯, not 朱德
    ("陈云堡", "06100"),
    ("长江泽民村", "04100"),   # 江泽民 starts inside the word 长江
    ("内蒙古路", "07100"),     # 蒙古 inside 内蒙古
    ("朝鲜族村", "04100"),     # 朝鲜 followed by 族, not by a 通名
    ("华盛顿州路", "07100"),   # longer than listed, the term runs into 州 (not a 通名)
    ("王府井大街", "07100"),   # 王 + 府井 is no given name
    ("张家口路", "07100"),
    ("王家屯", "06100"),
    ("黄河路", "07100"),
    ("文化路", "07100"),
    ("建国路", "07100"),
    ("中华路", "07100"),
    ("东方国际花园", "06200"),  # 国际 inside the word 东方国际 (documented limit of matching by word)
    ("海城市", "03100"),
    ("保利达花园", "06200"),     # 保利 runs into 达
])
def test_no_hit_inside_a_word(name, class_code):
    assert hits(name, class_code) == []


def test_each_hit_names_its_basis_and_message():
    problems, _ = text_problems("习近平大街", "07100")
    assert [(p.rule, p.severity, p.message, p.basis) for p in problems] == [
        ("leader", "error", "含有“习近平”（中共中央总书记、国家主席）：不应以国家领导人的名字作地名", LEADER)]
    assert [(p.message, p.basis) for p in text_problems("张伟路", "07100")[0]] == [
        ("含有“张伟”（形似姓名：姓氏加名字）：一般不应以人名作地名", PERSON)]
    assert [p.basis for p in text_problems("纽约花园", "06200")[0]] == [FOREIGN]
    assert [p.basis for p in text_problems("保利花园", "06200")[0]] == [TRADEMARK]
    assert text_problems("国际城", "06200")[0][0].basis.startswith("《地名管理条例》（2022）第九条：地名应含义健康")


def test_the_lists_are_data_with_sources():
    with (DATA / "leaders.csv").open(encoding="utf-8") as f:
        leaders = {r["term"]: r for r in csv.DictReader(f)}
    # the PRC's top leaders: party leaders, state presidents, premiers, NPC and CPPCC chairmen
    for name in ("毛泽东", "刘少奇", "周恩来", "朱德", "邓小平", "陈云", "华国锋", "胡耀邦", "赵紫阳", "杨尚昆",
                 "江泽民", "李鹏", "朱镕基", "胡锦涛", "温家宝", "吴邦国", "贾庆林", "习近平", "李克强", "李强",
                 "张德江", "栗战书", "赵乐际", "王沪宁"):
        assert leaders[name]["severity"] == "error" and leaders[name]["source"], name
    with (DATA / "foreign_countries.csv").open(encoding="utf-8") as f:
        countries = {r["term"]: r["source"] for r in csv.DictReader(f)}
    assert len(countries) == 253
    assert {"美国", "法国", "俄罗斯", "日本", "韩国", "巴西"} <= set(countries)
    assert not {"中国", "台湾", "中国香港特别行政区", "中国澳门特别行政区", "世界", "欧盟"} & set(countries)
    assert set(countries.values()) == {"Unicode CLDR via Babel 2.19.0 (Locale('zh').territories)"}
    terms = [t.term for t in listed_terms()]
    assert len(terms) == len(set(terms))  # one list per term
