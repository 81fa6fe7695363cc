"""The demo's child-welfare officers (issue 14 part 13): ≈ 481 in all as the seed counts them, with
vacancies, so the gap page shows real gaps instead of every unit (461 of 461)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import text

from importers.demo.child_welfare import build_officers
from importers.demo.common import ID_BASE, LABEL
from importers.demo.loader import load_demo
from importers.demo.partition import build_partition
from layers.coverage.child_welfare import gaps


@pytest.fixture(scope="module")
def partition():
    return build_partition()


def test_the_generator_gives_481_officers_less_the_vacancies(partition):
    officers = build_officers(partition)
    assert Counter(o["role"] for o in officers) == {"director": 424, "supervisor": 55}
    villages_served = {o["unit_code"] for o in officers if o["role"] == "director"}
    townships_served = {o["unit_code"] for o in officers if o["role"] == "supervisor"}
    assert len(villages_served) == 424 and villages_served <= set(partition.villages)  # one each
    assert len(set(partition.villages) - villages_served) == 11
    assert [partition.townships[c].name for c in set(partition.townships) - townships_served] == ["感王镇"]
    assert all(o["id"] > ID_BASE and o["note"] == LABEL and len(str(o["phone"])) == 11 for o in officers)
    assert officers == build_officers(partition)  # deterministic


def test_the_gap_page_of_the_loaded_demo_shows_the_vacancies(demo_engine):
    with demo_engine.connect() as conn:
        found = gaps(conn)
        assert (found["villages"]["missing"], found["villages"]["total"]) == (11, 435)
        assert (found["townships"]["missing"], found["townships"]["total"]) == (1, 26)
        assert [f["properties"]["name"] for f in found["townships"]["features"]] == ["感王镇"]
        assert conn.execute(text("SELECT count(*) FROM child_welfare_officers WHERE id >= :b AND retired_at IS NULL"),
                            {"b": ID_BASE}).scalar_one() == 479


def test_a_reload_replaces_the_demo_officers_and_keeps_users_own(demo_engine):
    with demo_engine.begin() as conn:
        own = conn.execute(text("INSERT INTO child_welfare_officers (role, unit_code, name) "
                                "SELECT 'supervisor', code, '用户录入' FROM townships WHERE name = '感王镇' "
                                "RETURNING id")).scalar_one()
    try:
        load_demo(demo_engine, echo=lambda _: None, force=True)
        with demo_engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM child_welfare_officers WHERE id >= :b"),
                                {"b": ID_BASE}).scalar_one() == 479
            assert conn.execute(text("SELECT name FROM child_welfare_officers WHERE id = :i"), {"i": own}
                                ).scalar_one() == "用户录入"
            assert gaps(conn)["townships"]["missing"] == 0
    finally:
        with demo_engine.begin() as conn:
            conn.execute(text("DELETE FROM child_welfare_officers WHERE id = :i"), {"i": own})

