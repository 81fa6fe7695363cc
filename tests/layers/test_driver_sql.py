"""Statements run by the driver itself get SQLAlchemy's ``:name`` parameters in psycopg's form."""

from __future__ import annotations

from layers.features import driver_sql


def test_parameters_become_the_drivers_and_casts_literals_and_percent_signs_stay():
    sql = ("""SELECT CAST(:b AS jsonb), '{"type":"Feature","id":' || t.id, 'x' LIKE '50%' """
           "FROM t WHERE t.x::text = :f_1")
    assert driver_sql(sql) == (
        """SELECT CAST(%(b)s AS jsonb), '{"type":"Feature","id":' || t.id, 'x' LIKE '50%%' """
        "FROM t WHERE t.x::text = %(f_1)s")
