"""≈ 30,000 assisted households in settlements, with fictitious names and phones (示例数据)."""

from __future__ import annotations

from datetime import date

import numpy as np
import shapely
from shapely.geometry import Point

from importers.demo.common import Table, county_outline, rng
from importers.demo.network import Network
from importers.demo.partition import Partition
from importers.demo.settlements import Settlement
from importers.demo.zones import Zones
from layers.households import CHILD_CATEGORIES, TEKUN_CATEGORIES

HOUSEHOLDS = 30_000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
GIVEN = ["淑芬", "秀兰", "桂英", "玉兰", "凤芝", "国庆", "建国", "德福", "长生", "宝山", "春生", "玉珍", "明", "伟",
         "丽", "强", "军", "红", "静", "海涛", "志刚", "金凤", "守义", "成林", "喜顺", "桂芝"]
# category → probability of being in a household's list (plausible shares; several may apply)
CATEGORY_SHARES = {"dibao": 0.55, "tekun_dispersed": 0.08, "tekun_central": 0.01, "orphan": 0.006,
                   "disabled": 0.18, "elderly_alone": 0.22, "left_behind_child": 0.05,
                   "child_in_difficulty": 0.02, "temporary_relief": 0.03}
# The categories added later are drawn from a stream of their own ("households-details"), so the
# households' places, names and first categories stay those of earlier demo loads. Plausible shares:
MARGINAL_SHARE_OF_NON_DIBAO = 0.12  # 低保边缘家庭 among households not on 低保
INSTITUTIONAL_SHARE_OF_ORPHANS = 0.2  # 机构孤儿 among the orphans (the rest 散居孤儿)
DE_FACTO_UNSUPPORTED_SHARE = 0.004  # 事实无人抚养儿童
SEVERE_SHARE_OF_DISABLED = 0.25  # 重度残疾 (一、二级 of GB/T 26341-2010) among 残疾 households
SECOND_SPECIAL_CARE_PERSON = 0.1  # a 特困 household with two 特困 persons (a couple, siblings)
CHILD = set(CHILD_CATEGORIES)
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643.

    >>> id_check_char("11010519491231002")
    'X'
    """
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def fictitious_id_number(rng_: np.random.Generator, birth_date: date, area: str = "210381") -> str:
    """A GB 11643-valid (check character) but fictitious ID number for the demo: 210381 + birth date.

    >>> n = fictitious_id_number(np.random.default_rng(1), date(1950, 3, 1))
    >>> n[:14], len(n), id_check_char(n[:17]) == n[17]
    ('21038119500301', 18, True)
    """
    first17 = f"{area}{birth_date:%Y%m%d}{int(rng_.integers(900, 1000)):03d}"  # 9xx: an unused-looking range
    return first17 + id_check_char(first17)


def build_households(partition: Partition, settlements: list[Settlement], net: Network, zones: Zones) -> Table:
    r = rng("households")
    details = rng("households-details")
    t = Table("households")
    spots = [s for s in settlements if s.weight > 0 or s.kind == "city"]
    weights = np.array([s.weight if s.kind != "city" else 60_000.0 for s in spots])
    picks = r.choice(len(spots), HOUSEHOLDS, p=weights / weights.sum())
    avoid = shapely.union_all([net.lines("rivers").buffer(60), zones.union("basic_farmland")])
    shapely.prepare(avoid)
    county = county_outline()
    shapely.prepare(county)
    villages = partition.villages
    categories = list(CATEGORY_SHARES)
    shares = np.array(list(CATEGORY_SHARES.values()))
    for k in sorted(range(HOUSEHOLDS), key=lambda i: (int(picks[i]), i)):
        s = spots[int(picks[k])]
        for _ in range(30):
            a, d = r.uniform(0, 2 * np.pi), s.radius * np.sqrt(r.random())
            x, y = s.x + d * np.cos(a), s.y + d * np.sin(a)
            if county.contains(Point(x, y)) and not avoid.contains(Point(x, y)):
                break
        else:
            x, y = s.x, s.y  # the settlement centre is inside its village
        chosen = [c for c, hit in zip(categories, r.random(len(categories)) < shares, strict=True) if hit]
        if not chosen:
            chosen = ["dibao"]
        child = bool(CHILD & set(chosen)) or r.random() < 0.08
        chosen = _later_categories(details, chosen)
        child = child or bool(CHILD & set(chosen))
        members = int(r.choice([1, 1, 2, 2, 3, 3, 4, 5])) if "elderly_alone" not in chosen else int(r.choice([1, 2]))
        if child:
            members = max(members, 2)
        special = None
        if set(TEKUN_CATEGORIES) & set(chosen):  # mostly the 特困 person alone
            special = 2 if members >= 2 and details.random() < SECOND_SPECIAL_CARE_PERSON else 1
        village = s.village_code or _village_at(partition, x, y)
        name = SURNAMES[int(r.integers(len(SURNAMES)))] + GIVEN[int(r.integers(len(GIVEN)))] + "（示例）"
        phone = f"0000-0000-{int(r.integers(10000)):04d}"  # obviously not a real number
        v = villages.get(village) if village else None
        t.add(Point(x, y), head_name=name, phone=phone,
              address=f"{v.name if v else '海城市区'}{int(r.integers(1, 12))}组（示例地址）",
              categories=chosen, members=members, special_care_persons=special, has_child_under_14=child,
              village_code=village)
    return t


def _later_categories(details: np.random.Generator, chosen: list[str]) -> list[str]:
    """The categories added after the first demo: 低保边缘, 机构孤儿, 事实无人抚养儿童, 重度残疾."""
    out = ["orphan_institutional" if c == "orphan" and details.random() < INSTITUTIONAL_SHARE_OF_ORPHANS else c
           for c in chosen]
    if "dibao" not in out and details.random() < MARGINAL_SHARE_OF_NON_DIBAO:
        out.append("dibao_marginal")
    if details.random() < DE_FACTO_UNSUPPORTED_SHARE:
        out.append("de_facto_unsupported_child")
    if "disabled" in out and details.random() < SEVERE_SHARE_OF_DISABLED:
        out.append("severely_disabled")
    return out


def _village_at(partition: Partition, x: float, y: float) -> str | None:
    p = Point(x, y)
    return next((v.code for v in partition.villages.values() if v.geom.contains(p)), None)
