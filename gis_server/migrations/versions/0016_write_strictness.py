"""write strictness: natural keys unique among live rows; numbers finite and inside their declared domains

Each layer's ``natural_key`` (``LayerSpec``) gets a unique index WHERE retired_at IS NULL, unless a
unique constraint already holds it (townships, villages, place names, boundary markers). Every
number column with a declared domain (``field(minimum=, maximum=)``) or of type float gets a CHECK
(``layers.registry.range_check_sql``): PostgreSQL sorts NaN above 'Infinity', so ``< 'Infinity'``
refuses NaN and +Infinity, and ``> '-Infinity'`` (or the minimum) refuses -Infinity. A stored NaN
broke ``/api/coverage/shelters`` for every user (issue 13).

Before that, stored non-finite numbers are set to NULL (they meant nothing), duplicate names of
rows from the demo generator are told apart by their id (the next ``demo load`` replaces them),
and any other duplicate or out-of-domain value stops the upgrade with the rows to correct.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:00:00
"""
from alembic import op
from sqlalchemy import text

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

NATURAL_KEYS = {
    "boundary_lines": ("name",), "shelters": ("name",), "care_facilities": ("name",), "cemeteries": ("name",),
    "basic_farmland": ("name",), "urban_planning_zones": ("name",), "scenic_areas": ("name",),
    "nature_reserves": ("name",), "water_source_zones": ("name",), "heritage_sites": ("name",),
}

# (table, column, is a float, condition) as the models declare them today
CHECKS = [
    ("townships", "population", False, '"population" >= 0'),
    ("villages", "population", False, '"population" >= 0'),
    ("boundary_lines", "length_m", True, '"length_m" >= 0 AND "length_m" < \'Infinity\''),
    ("boundary_markers", "accuracy_m", True, '"accuracy_m" >= 0 AND "accuracy_m" < \'Infinity\''),
    ("shelters", "usable_area_m2", True, '"usable_area_m2" >= 0 AND "usable_area_m2" < \'Infinity\''),
    ("shelters", "capacity", False, '"capacity" >= 0'),
    ("shelters", "service_radius_m", True,
     '"service_radius_m" >= 0 AND "service_radius_m" <= 100000 AND "service_radius_m" < \'Infinity\''),
    ("care_facilities", "beds", False, '"beds" >= 0'),
    ("care_facilities", "residents", False, '"residents" >= 0'),
    ("care_facilities", "service_radius_m", True,
     '"service_radius_m" >= 0 AND "service_radius_m" <= 100000 AND "service_radius_m" < \'Infinity\''),
    ("cemeteries", "area_m2", True, '"area_m2" >= 0 AND "area_m2" < \'Infinity\''),
    ("cemeteries", "plots_total", False, '"plots_total" >= 0'),
    ("cemeteries", "plots_used", False, '"plots_used" >= 0'),
    ("cemeteries", "investment_yuan", True, '"investment_yuan" >= 0 AND "investment_yuan" < \'Infinity\''),
    ("scattered_graves", "grave_count", False, '"grave_count" >= 1'),
    ("households", "members", False, '"members" >= 1 AND "members" <= 50'),
    *((zone, "area_m2", True, '"area_m2" >= 0 AND "area_m2" < \'Infinity\'')
      for zone in ("basic_farmland", "urban_planning_zones", "scenic_areas", "nature_reserves",
                   "water_source_zones", "heritage_sites")),
]


def _index_name(table: str, key: tuple[str, ...]) -> str:
    return f"uq_{table}_live_{'_'.join(key)}"


def _repair(conn) -> None:
    conn.execute(text("SELECT set_config('gis.user', 'migration 0016', true), "
                      "set_config('gis.reason', '升级：非有限数值置空、示例数据重名区分', true)"))
    for table, column, is_float, _ in CHECKS:
        if is_float:
            conn.execute(text(f'UPDATE "{table}" SET "{column}" = NULL '
                              f"WHERE \"{column}\" IN ('NaN', 'Infinity', '-Infinity')"))
    for table, key in NATURAL_KEYS.items():
        columns = ", ".join(f'"{k}"' for k in key)
        conn.execute(text(
            f'UPDATE "{table}" t SET "{key[-1]}" = t."{key[-1]}" || \'（编号 \' || t.id || \'）\' '
            f"FROM (SELECT id, row_number() OVER (PARTITION BY {columns} ORDER BY source <> 'demo', id) AS n "
            f'      FROM "{table}" WHERE retired_at IS NULL) d '
            "WHERE d.id = t.id AND d.n > 1 AND t.source = 'demo'"))


def _problems(conn) -> list[str]:
    out = []
    for table, key in NATURAL_KEYS.items():
        columns = ", ".join(f'"{k}"' for k in key)
        for ids in conn.execute(text(
                f"SELECT string_agg(id::text, '、' ORDER BY id) FROM \"{table}\" WHERE retired_at IS NULL "
                f"GROUP BY {columns} HAVING count(*) > 1")).scalars():
            out.append(f"{table} 中以下在册记录的 {', '.join(key)} 相同：{ids}")
    for table, column, _, condition in CHECKS:
        ids = conn.execute(text(f"SELECT string_agg(id::text, '、' ORDER BY id) FROM \"{table}\" "
                                f"WHERE NOT ({condition})")).scalar()
        if ids:
            out.append(f"{table}.{column} 超出取值范围（{condition}）：{ids}")
    return out


def upgrade() -> None:
    conn = op.get_bind()
    _repair(conn)
    problems = _problems(conn)
    if problems:
        raise RuntimeError("请先更正以下记录再升级：" + "；".join(problems))
    for table, key in NATURAL_KEYS.items():
        op.create_index(op.f(_index_name(table, key)), table, list(key), unique=True,
                        postgresql_where=text("retired_at IS NULL"))
    for table, column, _, condition in CHECKS:
        op.create_check_constraint(op.f(f"ck_{table}_{column}_range"), table, text(condition))


def downgrade() -> None:
    for table, column, _, _ in CHECKS:
        op.drop_constraint(op.f(f"ck_{table}_{column}_range"), table, type_="check")
    for table, key in NATURAL_KEYS.items():
        op.drop_index(op.f(_index_name(table, key)), table_name=table)
