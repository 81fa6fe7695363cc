"""About 5,600 place names in the 11 census classes, with 20-digit codes, pinyin and ~400 signs.

The class table is data (``data/demo/place_name_classes.csv``, demo class codes). Names of the
county, the 26 townships and the 435 village-level units are real; all other names are invented
(示例数据, said in each record's description).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date

import numpy as np
from shapely.geometry import Point

from importers.demo.common import DEMO_DATA, LABEL, TAG, Table, county_outline, rng, sample_points, short_name
from importers.demo.network import Network
from importers.demo.partition import Partition
from importers.demo.settlements import Settlement
from importers.demo.terrain import elevation
from layers.gazetteer.pinyin import suggest

TARGET_TOTAL = 5600
SIGNS = 400
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
MODIFIERS = ["东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "新", "老", "三家", "二道", "头道", "双",
             "石", "柳", "榆树", "黄土", "红", "青", "杏", "梨", "榆林", "高丽", "蒲草", "荒", "古", "桃"]
OFFICIAL = "海城市人民政府"


@dataclass(frozen=True)
class NameClass:
    code: str
    major: str
    subclass: str
    generics: tuple[str, ...]
    share: float


def name_classes() -> list[NameClass]:
    with (DEMO_DATA / "place_name_classes.csv").open(encoding="utf-8") as f:
        return [NameClass(r["code"], r["major_class"], r["subclass"], tuple(filter(None, r["generics"].split("|"))),
                          float(r["share"])) for r in csv.DictReader(f)]


def spelling(name: str, specific: str, generic: str, class_code: str) -> tuple[str, str]:
    """(toneless, toned): the gazetteer's own suggestion (1984 rules, polyphone table), so demo records read
    曾家屯 Zengjiatun, 朝阳 Chaoyang as the place-names office would approve them.

    >>> spelling("海城河", "海城", "河", "01100"), spelling("曾家屯", "曾家", "屯", "06100")[0]
    (('Haicheng He', 'Hǎichéng Hé'), 'Zengjiatun')
    """
    suggested = suggest(name, class_code, specific, generic)
    return suggested.toneless, suggested.toned


def build_place_names(partition: Partition, settlements: list[Settlement], net: Network) -> tuple[Table, Table]:
    r = rng("place_names")
    names = Table("place_names")
    seq: dict[tuple[str, str], int] = {}

    def code(township: str, cls: str) -> str:
        key = (township, cls)
        seq[key] = seq.get(key, 0) + 1
        return f"210381{township[-3:]}{cls}{seq[key]:06d}"

    def add(geom, name, specific, generic, cls, township, village, **extra) -> int:  # noqa: ANN001
        toneless, toned = spelling(name, specific, generic, cls)
        return names.add(
            geom, code=code(township or "210381000", cls), name=name, specific_part=specific,
            generic_part=generic, pinyin=toneless, pinyin_toned=toned, class_code=cls,
            township_code=township, village_code=village, status=extra.pop("status", "approved"),
            survey_method=extra.pop("survey_method", "graphical"), culture_protected=extra.pop("culture", False),
            description=extra.pop("description", f"{LABEL}：虚构地名，位置为示意"), **extra)

    county = county_outline()
    add(county.representative_point(), "海城市", "海城", "市", "03100", None, None,
        description=f"县级市，区划代码210381（真实名称；{LABEL}中的位置点为示意）", approval_authority="国务院")
    for t in partition.townships.values():
        generic = "街道" if t.name.endswith("街道") else "镇"
        add(Point(t.seat), t.name, t.name[: -len(generic)], generic, "03100", t.code, None,
            description=f"区划代码{t.code}（真实名称；驻地位置为{LABEL}）", approval_authority="辽宁省人民政府")
    for v in partition.villages.values():
        generic = next(g for g in ("村委会", "居委会", "社区") if v.name.endswith(g)) if v.name[-2:] in (
            "委会", "社区") else ""
        add(Point(v.seat), v.name, v.name[: -len(generic)] if generic else v.name, generic, "04100", v.parent,
            v.code, description=f"区划代码{v.code}（真实名称；位置为{LABEL}）")

    classes = [c for c in name_classes() if c.share > 0]
    remaining = TARGET_TOTAL - len(names)
    weights = np.array([c.share for c in classes])
    counts = np.floor(weights / weights.sum() * remaining).astype(int)
    villages = list(partition.villages.values())
    used: set[str] = {row["name"] for row in names.rows}
    current_ids: list[tuple[int, dict]] = []
    for cls, n in zip(classes, counts, strict=True):
        for _ in range(int(n)):
            v = villages[int(r.integers(len(villages)))]
            for _attempt in range(20):
                specific = _specific(r, cls)
                generic = cls.generics[int(r.integers(len(cls.generics)))]
                name = specific + generic
                if cls.code in ("06100", "07100", "06200"):
                    if name not in used:
                        break
                else:
                    break
            used.add(name)
            x, y = _position(r, cls, v, settlements)
            row_id = add(Point(x, y), name, specific, generic, cls.code, v.parent, v.code,
                         established_year=int(r.integers(1950, 2020)) if cls.code in ("07100", "06200") else None)
            current_ids.append((row_id, names.rows[-1]))
    # historical names: earlier names of some settlements and streets, replaced by the current one
    for row_id, row in current_ids[:: 37]:
        if row["class_code"] not in ("06100", "07100"):
            continue
        old_specific = _specific(r, next(c for c in classes if c.code == row["class_code"]))
        add(row["geom"], old_specific + row["generic_part"], old_specific, row["generic_part"],
            row["class_code"], row["township_code"], row["village_code"], status="historical",
            replaced_by_id=row_id, abolished_year=int(r.integers(1966, 2000)),
            history=f"{LABEL}：曾用名，后更名为{row['name']}")
    return names, _signs(r, names)


def _specific(r: np.random.Generator, cls: object) -> str:
    pick = r.random()
    if pick < 0.45:
        return SURNAMES[int(r.integers(len(SURNAMES)))] + ("家" if r.random() < 0.7 else "")
    if pick < 0.8:
        return MODIFIERS[int(r.integers(len(MODIFIERS)))] + SURNAMES[int(r.integers(len(SURNAMES)))] + "家"
    return MODIFIERS[int(r.integers(len(MODIFIERS)))] + MODIFIERS[int(r.integers(len(MODIFIERS)))][-1]


def _position(r: np.random.Generator, cls: NameClass, v, settlements: list[Settlement]) -> tuple[float, float]:  # noqa: ANN001
    if cls.major == "陆地地形":  # hills: the highest of a few random points of the village
        pts = sample_points(r, v.geom, 6)
        best = pts[int(np.argmax(elevation(pts[:, 0], pts[:, 1])))]
        return float(best[0]), float(best[1])
    if cls.major in ("居民点", "单位", "建筑物", "交通运输设施"):
        spots = [s for s in settlements if s.village_code == v.code] or settlements[:1]
        s = spots[int(r.integers(len(spots)))]
        a, d = r.uniform(0, 2 * np.pi), s.radius * np.sqrt(r.random()) * (3.0 if cls.code == "06100" else 1.0)
        p = Point(s.x + d * np.cos(a), s.y + d * np.sin(a))
        if v.geom.contains(p):
            return p.x, p.y
    p = sample_points(r, v.geom, 1)[0]
    return float(p[0]), float(p[1])


def _signs(r: np.random.Generator, names: Table) -> Table:
    signs = Table("place_name_signs")
    kinds = {"06100": "village", "04100": "village", "07100": "road", "07200": "other", "09100": "scenic",
             "10100": "building"}
    candidates = [row for row in names.rows if row["class_code"] in kinds and row["status"] != "historical"]
    order = r.permutation(len(candidates))[:SIGNS]
    for i in sorted(order):
        row = candidates[int(i)]
        kind = kinds[row["class_code"]]
        if kind == "road" and r.random() < 0.4:
            kind = "street"
        p = row["geom"]
        condition = ["good", "good", "good", "damaged", "faded", "missing"][int(r.integers(6))]
        signs.add(Point(p.x + r.uniform(-30, 30), p.y + r.uniform(-30, 30)), place_name_id=row["id"],
                  sign_type=kind, inscription=row["name"], inscription_pinyin=row["pinyin"], condition=condition,
                  installed_date=date(2012 + int(r.integers(0, 10)), 1 + int(r.integers(12)), 1),
                  inspected_date=date(2023, 1 + int(r.integers(12)), 1) if r.random() < 0.6 else None)
    return signs


__all__ = ["TAG", "build_place_names", "name_classes", "short_name", "spelling"]
