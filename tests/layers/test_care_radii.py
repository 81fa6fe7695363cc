"""Care facilities' service (issue 14 part 11): a 农村幸福院 serves its own village — a household is covered
by one iff they are in the same village, whatever the distance — and a 日间照料站 serves 300 m (GB 50180-2018,
5-minute life circle), with the basis said in the text users read."""

from __future__ import annotations

from sqlalchemy import text

from layers.coverage.analysis import coverage_rows, totals
from layers.coverage.radii import DEFAULTS, defaults_table
from layers.coverage.refresh import refresh
from layers.coverage.selection import Selection
from tests.utils.coverage import (
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    add_care,
    add_household,
    covered_ids,
    make_units,
    point_sql,
    villages,  # noqa: F401 (fixture)
)

# make_units: 东村 (VILLAGE) is the 16 km square west of x = 0, 西村 (VILLAGE2) the one east of it


def add_home(conn, dx: float, village: str | None, radius: float | None = None) -> int:
    return conn.execute(text(
        "INSERT INTO care_facilities (name, facility_type, service_radius_m, village_code, geom) VALUES "
        f"('测试幸福院', 'happiness_home', :r, :v, {point_sql(dx, 0)}) RETURNING id"),
        {"r": radius, "v": village}).scalar_one()



def test_a_happiness_home_covers_its_village_and_nothing_across_the_line(conn, villages):  # noqa: F811 (the fixture)
    east, west = villages
    add_home(conn, -10, VILLAGE)
    sel = Selection.parse("happiness_home")
    assert covered_ids(conn, sel) == set(east)  # 7.9 km away in the same village: covered; 20 m across: not
    rows = {r["code"]: r for r in coverage_rows(conn, sel, "village", restricted=False)}
    assert (rows[VILLAGE]["households"], rows[VILLAGE]["covered"], rows[VILLAGE]["uncovered"]) == (3, 3, 0)
    assert (rows[VILLAGE2]["households"], rows[VILLAGE2]["covered"], rows[VILLAGE2]["uncovered"]) == (2, 0, 2)
    township = next(r for r in coverage_rows(conn, sel, "township", restricted=False) if r["code"] == TOWNSHIP)
    assert (township["households"], township["covered"], township["rate"]) == (5, 3, 0.6)
    assert totals(conn, sel, restricted=False)["covered"] == 3


def test_its_village_is_its_polygon_when_no_code_is_recorded_and_a_radius_does_not_widen_it(conn, villages):  # noqa: F811 (the fixture)
    east, west = villages
    add_home(conn, 10, None, radius=5000)  # stands in 西村; its 5 km would reach all of 东村's first two
    assert covered_ids(conn, Selection.parse("happiness_home")) == set(west)
    assert covered_ids(conn, Selection.parse("happiness_home", method="network")) == set(west)


def test_no_happiness_home_no_coverage(conn, villages):  # noqa: F811 (the fixture)
    assert covered_ids(conn, Selection.parse("happiness_home")) == set()


def test_day_care_serves_300_m(conn):
    make_units(conn)
    add_care(conn, 0, 0, radius=None)
    inside, outside = add_household(conn, -299.0, 0), add_household(conn, -301.0, 0, name="李四")
    assert DEFAULTS["day_care"].radius_m == 300.0
    assert covered_ids(conn, Selection.parse("day_care")) == {inside}
    assert outside not in covered_ids(conn, Selection.parse("day_care"))


def test_the_bases_say_where_the_values_come_from():
    rows = {r["facility_type"]: r for r in defaults_table()}
    day_care, home = rows["day_care"], rows["happiness_home"]
    assert (day_care["radius_m"], day_care["scope"]) == (300.0, "radius")
    assert "GB 50180-2018" in day_care["basis"] and "五分钟生活圈" in day_care["basis"]
    assert "第3.0.4条" in day_care["basis"] and "解读" in day_care["basis"]  # a reading, said as one
    assert (home["radius_m"], home["scope"]) == (None, "village")
    assert "服务本村" in home["basis"] and "不按距离" in home["basis"]


def test_the_service_area_of_a_happiness_home_is_its_village(conn, villages):  # noqa: F811 (the fixture)
    facility = add_home(conn, -10, VILLAGE)
    refresh(conn, force=True)
    same = conn.execute(text(
        "SELECT ST_Equals(ST_Multi(v.geom), sa.geom), sa.radius_m FROM coverage_service_areas sa JOIN villages v "
        "ON v.code = :v WHERE sa.facility_layer = 'care_facilities' AND sa.facility_id = :id "
        "AND sa.mode = 'euclidean'"),
        {"v": VILLAGE, "id": facility}).one()
    assert tuple(same) == (True, None)
