"""``haicheng-gis demo province``: moved copies of households, place names and graves on a grid of counties;
no history or audit rows for them; unique codes left empty; a second run replaces the first."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from gis_server.province import generate
from tests.utils.database import committed_database

SEED = [
    "INSERT INTO households (head_name, members, categories, village_code, geom) VALUES "
    "('张三', 2, ARRAY['dibao'], '210381101001', ST_SetSRID(ST_MakePoint(122.7, 40.9), 4490))",
    "INSERT INTO place_names (name, class_code, code, geom) VALUES "
    "('王家屯', '06100', '21038110100100000001', ST_SetSRID(ST_MakePoint(122.6, 40.8), 4490))",
]


def test_province_copies_are_moved_counties_without_history(database_url: str):
    with committed_database(database_url, "gis_province", as_owner=True) as owner_url:
        engine = create_engine(owner_url)
        with engine.begin() as conn:
            for statement in SEED:
                conn.execute(text(statement))
            history = conn.execute(text("SELECT count(*) FROM feature_history")).scalar_one()
        counts = generate(engine, 12, echo=lambda _: None)
        assert counts == {"households": 12, "place_names": 12, "scattered_graves": 0}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM feature_history")).scalar_one() == history
            moved = conn.execute(text(
                "SELECT round(ST_X(geom)::numeric, 6), round(ST_Y(geom)::numeric, 6), code FROM place_names "
                "WHERE source = 'province' ORDER BY 1, 2")).all()
            assert len(moved) == 11 and {row[2] for row in moved} == {None}
            assert (float(moved[0][0]), float(moved[0][1])) == (122.6, 41.6)  # k = 10: next row of the grid
            assert (float(moved[-1][0]), float(moved[-1][1])) == (131.6, 40.8)  # k = 9
            listed = conn.execute(text("SELECT count(*) FROM listed_features WHERE layer = 'households'"))
            assert listed.scalar_one() == 12
        assert generate(engine, 3, echo=lambda _: None)["households"] == 3  # replaces, does not add
        engine.dispose()
