"""Coverage cost follows the county, not the table (issue 21 item 5): with other counties' households in the
table (a province: moved copies that keep the county's village codes, as ``haicheng-gis demo province``
makes them), the county's counts are unchanged and the households are read through their GiST index."""

from __future__ import annotations

import json

from sqlalchemy import text

from layers.coverage.analysis import coverage_rows, exact_rows_sql, totals
from layers.coverage.selection import Selection
from tests.utils.coverage import TOWNSHIP, VILLAGE, VILLAGE2, ring  # noqa: F401 (fixture)

COPIES = 2000  # other counties' households: 1° east and further, same village code (as the province makes)


def _other_counties(conn) -> None:
    conn.execute(text(
        "INSERT INTO households (head_name, categories, members, village_code, geom) "
        "SELECT '赵六', ARRAY['elderly_alone']::varchar[], 1, :v, "
        "ST_Translate(h.geom, 1.0 + (k % 50) * 0.02, (k / 50) * 0.01) "
        "FROM households h, generate_series(0, :n - 1) k WHERE h.id = (SELECT min(id) FROM households)"),
        {"v": VILLAGE, "n": COPIES})
    conn.execute(text("ANALYZE households"))


def _scans(plan: dict) -> list[tuple[str, str | None]]:
    """(node type, relation) of every node of a JSON plan."""
    found = [(plan["Node Type"], plan.get("Relation Name"))]
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


def test_counts_are_the_countys_and_households_are_read_by_index(conn, ring):  # noqa: F811
    sel = Selection.parse("day_care")
    before = coverage_rows(conn, sel, "township", restricted=False)
    assert [(r["code"], r["households"], r["covered"]) for r in before] == [(TOWNSHIP, 3, 2)]
    _other_counties(conn)
    assert conn.execute(text("SELECT count(*) FROM households")).scalar_one() == 3 + COPIES
    assert coverage_rows(conn, sel, "township", restricted=False) == before
    villages = {r["code"]: r["households"] for r in coverage_rows(conn, sel, "village", restricted=False)}
    assert villages == {VILLAGE: 3, VILLAGE2: 0}
    assert (totals(conn, sel, False)["households"], totals(conn, sel, False)["covered"]) == (3, 2)
    for query in (exact_rows_sql(sel, "township"), exact_rows_sql(None, "village")):
        plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {query}"), sel.params()).scalar_one()
        plan = plan if isinstance(plan, list) else json.loads(plan)
        on_households = [node for node, relation in _scans(plan[0]["Plan"]) if relation == "households"]
        assert on_households and "Seq Scan" not in on_households, on_households
        assert set(on_households) <= {"Index Scan", "Bitmap Heap Scan", "Index Only Scan"}
