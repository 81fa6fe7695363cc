"""Child-welfare officers of the demo: a 儿童主任 per village (社区) and 儿童督导员 per township, with gaps.

DOMAIN.md §6: a 儿童主任 in every village, a 儿童督导员 in every township; the seed project counts 481
of them. With 435 villages and 26 townships one officer per unit would be 461 at most, so the demo
reads the 481 as officers in all: townships have one 督导员 per started ``VILLAGES_PER_SUPERVISOR``
villages (a demo parameter chosen so that the total comes near the seed's figure, not a rule), and
some posts are vacant — ``VILLAGE_VACANCY`` of the villages (drawn) and ``TOWNSHIPS_VACANT`` townships
— so the gap page shows real gaps. Names and phones are fictitious (personal data all the same: masked).

Officers are not a map layer (no geometry, no ``source`` column): demo officers are the rows with ids
from the demo range (``ID_BASE``) and carry the note 示例数据.
"""

from __future__ import annotations

import math

from importers.demo.common import ID_BASE, LABEL, rng
from importers.demo.partition import Partition

VILLAGES_PER_SUPERVISOR = 10  # demo parameter (see above)
VILLAGE_VACANCY = 0.02  # share of villages whose 儿童主任 post is vacant (demo parameter)
TOWNSHIPS_VACANT = 1  # townships whose 督导员 posts are all vacant (demo parameter)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐于董萧"
GIVEN = ["秀英", "桂兰", "玉梅", "丽华", "淑珍", "海燕", "红霞", "春梅", "建华", "志强", "海波", "晓东",
         "丽娜", "静", "敏", "芳", "磊", "勇", "伟", "娜"]


def build_officers(partition: Partition) -> list[dict[str, object]]:
    """Officer rows ``{id, role, unit_code, name, phone, note}``, deterministic for the seed."""
    r = rng("child_welfare")
    rows: list[dict[str, object]] = []

    def add(role: str, unit_code: str) -> None:
        name = SURNAMES[int(r.integers(len(SURNAMES)))] + GIVEN[int(r.integers(len(GIVEN)))]
        phone = f"139{int(r.integers(0, 10**8)):08d}"
        rows.append({"id": ID_BASE + len(rows) + 1, "role": role, "unit_code": unit_code, "name": name,
                     "phone": phone, "note": LABEL})

    townships = sorted(partition.townships)
    vacant = set(r.choice(townships, TOWNSHIPS_VACANT, replace=False).tolist())
    for code in townships:
        villages = sorted(v.code for v in partition.villages_of(code))
        if code not in vacant:
            for _ in range(math.ceil(len(villages) / VILLAGES_PER_SUPERVISOR)):
                add("supervisor", code)
        for village in villages:
            if r.random() >= VILLAGE_VACANCY:
                add("director", village)
    return rows
