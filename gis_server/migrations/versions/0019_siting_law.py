"""三沿六区 as the law measures: road/railway widths (distances from the edge), cultivated land, forest land and
city parks (《殡葬管理条例》 Art. 10), cemeteries serving other villages only by agreement (Art. 9), kinds of
scattered grave; sourceless rules become advisory local parameters in every rule set

The listed_features trigger functions of the layers whose fields change (and of the new ones) are generated
by layers.listed from the models of this revision and frozen here (python -m layers.listed).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 18:00:00
"""
import json

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

NEW_ZONES = ['cultivated_land', 'forest_land', 'urban_parks']
LISTED_LAYERS = ['roads', 'railways', 'cemeteries', 'scattered_graves', 'cultivated_land', 'forest_land', 'urban_parks']

TRIGGERS_SQL = r"""
CREATE OR REPLACE FUNCTION gis_roads_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'roads' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('roads', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."name" AS "name", NEW."road_code" AS "road_code", NEW."road_class" AS "road_class", NEW."width_m" AS "width_m", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS roads_listed ON roads;
CREATE TRIGGER roads_listed AFTER INSERT OR UPDATE OR DELETE ON roads FOR EACH ROW EXECUTE FUNCTION gis_roads_listed();

CREATE OR REPLACE FUNCTION gis_railways_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'railways' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('railways', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."name" AS "name", NEW."railway_class" AS "railway_class", NEW."width_m" AS "width_m", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS railways_listed ON railways;
CREATE TRIGGER railways_listed AFTER INSERT OR UPDATE OR DELETE ON railways FOR EACH ROW EXECUTE FUNCTION gis_railways_listed();

CREATE OR REPLACE FUNCTION gis_cemeteries_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'cemeteries' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('cemeteries', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."name" AS "name", NEW."cemetery_type" AS "cemetery_type", NEW."status" AS "status", NEW."village_code" AS "village_code", NEW."area_m2" AS "area_m2", NEW."plots_total" AS "plots_total", NEW."plots_used" AS "plots_used", NEW."investment_yuan" AS "investment_yuan", NEW."serves_villages" AS "serves_villages", NEW."service_agreement" AS "service_agreement", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS cemeteries_listed ON cemeteries;
CREATE TRIGGER cemeteries_listed AFTER INSERT OR UPDATE OR DELETE ON cemeteries FOR EACH ROW EXECUTE FUNCTION gis_cemeteries_listed();

CREATE OR REPLACE FUNCTION gis_scattered_graves_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'scattered_graves' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('scattered_graves', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."grave_count" AS "grave_count", NEW."kind" AS "kind", NEW."status" AS "status", NEW."status_reason" AS "status_reason", NEW."village_code" AS "village_code", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS scattered_graves_listed ON scattered_graves;
CREATE TRIGGER scattered_graves_listed AFTER INSERT OR UPDATE OR DELETE ON scattered_graves FOR EACH ROW EXECUTE FUNCTION gis_scattered_graves_listed();

CREATE OR REPLACE FUNCTION gis_cultivated_land_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'cultivated_land' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('cultivated_land', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."name" AS "name", NEW."approval_doc" AS "approval_doc", NEW."area_m2" AS "area_m2", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS cultivated_land_listed ON cultivated_land;
CREATE TRIGGER cultivated_land_listed AFTER INSERT OR UPDATE OR DELETE ON cultivated_land FOR EACH ROW EXECUTE FUNCTION gis_cultivated_land_listed();

CREATE OR REPLACE FUNCTION gis_forest_land_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'forest_land' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('forest_land', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."name" AS "name", NEW."approval_doc" AS "approval_doc", NEW."area_m2" AS "area_m2", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS forest_land_listed ON forest_land;
CREATE TRIGGER forest_land_listed AFTER INSERT OR UPDATE OR DELETE ON forest_land FOR EACH ROW EXECUTE FUNCTION gis_forest_land_listed();

CREATE OR REPLACE FUNCTION gis_urban_parks_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'urban_parks' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('urban_parks', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."name" AS "name", NEW."approval_doc" AS "approval_doc", NEW."area_m2" AS "area_m2", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS urban_parks_listed ON urban_parks;
CREATE TRIGGER urban_parks_listed AFTER INSERT OR UPDATE OR DELETE ON urban_parks FOR EACH ROW EXECUTE FUNCTION gis_urban_parks_listed();
"""

REFILL = [
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'roads', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."name" AS "name", t."road_code" AS "road_code", t."road_class" AS "road_class", t."width_m" AS "width_m", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM roads t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'roads' AND NOT EXISTS (SELECT 1 FROM roads t WHERE t.id = l.id)""",
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'railways', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."name" AS "name", t."railway_class" AS "railway_class", t."width_m" AS "width_m", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM railways t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'railways' AND NOT EXISTS (SELECT 1 FROM railways t WHERE t.id = l.id)""",
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'cemeteries', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."name" AS "name", t."cemetery_type" AS "cemetery_type", t."status" AS "status", t."village_code" AS "village_code", t."area_m2" AS "area_m2", t."plots_total" AS "plots_total", t."plots_used" AS "plots_used", t."investment_yuan" AS "investment_yuan", t."serves_villages" AS "serves_villages", t."service_agreement" AS "service_agreement", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM cemeteries t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'cemeteries' AND NOT EXISTS (SELECT 1 FROM cemeteries t WHERE t.id = l.id)""",
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'scattered_graves', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."grave_count" AS "grave_count", t."kind" AS "kind", t."status" AS "status", t."status_reason" AS "status_reason", t."village_code" AS "village_code", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM scattered_graves t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'scattered_graves' AND NOT EXISTS (SELECT 1 FROM scattered_graves t WHERE t.id = l.id)""",
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'cultivated_land', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."name" AS "name", t."approval_doc" AS "approval_doc", t."area_m2" AS "area_m2", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM cultivated_land t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'cultivated_land' AND NOT EXISTS (SELECT 1 FROM cultivated_land t WHERE t.id = l.id)""",
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'forest_land', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."name" AS "name", t."approval_doc" AS "approval_doc", t."area_m2" AS "area_m2", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM forest_land t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'forest_land' AND NOT EXISTS (SELECT 1 FROM forest_land t WHERE t.id = l.id)""",
    r"""INSERT INTO listed_features (layer, id, feature) SELECT 'urban_parks', t.id, '{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."name" AS "name", t."approval_doc" AS "approval_doc", t."area_m2" AS "area_m2", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || '}' FROM urban_parks t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature""",
    r"""DELETE FROM listed_features l WHERE l.layer = 'urban_parks' AND NOT EXISTS (SELECT 1 FROM urban_parks t WHERE t.id = l.id)""",
]

# 《殡葬管理条例》 Art. 10 (一)/(二): rules every rule set gets (as shipped in data/rules at this revision)
NEW_RULES = json.loads(r"""[
 {
  "constraint": "cultivated_land",
  "class": null,
  "distance_m": 0,
  "hard": true,
  "grade": "law",
  "basis": "《殡葬管理条例》第十条第（一）项：禁止在耕地建造坟墓（全部耕地，不只基本农田；0 米 = 区内禁止）。"
 },
 {
  "constraint": "forest_land",
  "class": null,
  "distance_m": 0,
  "hard": true,
  "grade": "law",
  "basis": "《殡葬管理条例》第十条第（一）项：禁止在林地建造坟墓（0 米 = 区内禁止）。"
 },
 {
  "constraint": "urban_park",
  "class": null,
  "distance_m": 0,
  "hard": true,
  "grade": "law",
  "basis": "《殡葬管理条例》第十条第（二）项：禁止在城市公园建造坟墓（0 米 = 区内禁止）。"
 }
]""")
# the shipped rules that had no source, as they were worded before, and how they read now
LOCAL_PARAMETERS = json.loads(r"""[
 {
  "constraint": "highway",
  "class": "county",
  "old_basis": "本项目默认值（无出处）；不得低于《公路安全保护条例》第十一条县道建筑控制区 10 米。",
  "basis": "地方参数，来源：本项目默认值，未查到出处，由民政局设定（建议性）；县道是否属于“公路主干线”（《殡葬管理条例》第十条第（四）项）由地方认定。法定下限：《公路安全保护条例》第十一条县道建筑控制区 10 米（自公路用地外缘起算）。"
 },
 {
  "constraint": "river_embankment",
  "class": null,
  "old_basis": "《殡葬管理条例》第十条：禁止在水库及河流堤坝附近建造坟墓（未规定距离）；300 米取自某省《殡葬管理办法》。适用于河流、河堤和水库堤坝。",
  "basis": "地方参数，来源：某省《殡葬管理办法》的 300 米（省份与条文未查明，不是辽宁省规定），由民政局设定（建议性）。《殡葬管理条例》第十条第（三）项禁止在水库及河流堤坝附近建造坟墓，但未规定距离。适用于河流、河堤和水库堤坝。"
 },
 {
  "constraint": "urban_planning",
  "class": null,
  "old_basis": "三沿六区：城镇规划区内禁止（0 米 = 区内禁止），本项目默认值。",
  "basis": "地方参数，来源：“三沿六区”做法，本项目默认值，未查到法规出处（《殡葬管理条例》第十条未列城镇规划区），由民政局设定（建议性；0 米 = 区内不宜）。"
 }
]""")
SOURCELESS_MARKERS = ("无出处", "未查到出处", "某省", "某市", "某地")
LOCAL_PREFIX = "地方参数，来源："


def _as_local_parameter(rule: dict) -> dict:
    """A hard rule with no source becomes advisory (a local parameter that says where its value came from)."""
    for known in LOCAL_PARAMETERS:
        if (rule["constraint"], rule.get("class")) == (known["constraint"], known["class"]) \
                and rule.get("basis") == known["old_basis"]:
            return {**rule, "hard": False, "grade": "local", "basis": known["basis"]}
    if rule.get("hard", True) and any(m in (rule.get("basis") or "") for m in SOURCELESS_MARKERS):
        basis = rule["basis"] if rule["basis"].startswith(LOCAL_PREFIX) else LOCAL_PREFIX + rule["basis"]
        return {**rule, "hard": False, "grade": "local", "basis": basis}
    return rule


def migrate_rule_sets() -> None:
    """Each rule set's latest version, completed and corrected, saved as a new version when it changed."""
    bind = op.get_bind()
    latest = bind.execute(sa.text(
        "SELECT DISTINCT ON (rule_set_id) rule_set_id, version, rules FROM siting_rule_set_versions "
        "ORDER BY rule_set_id, version DESC")).all()
    for rule_set_id, version, rules in latest:
        changed = [_as_local_parameter(r) for r in rules]
        present = {(r["constraint"], r.get("class")) for r in changed}
        changed += [r for r in NEW_RULES if (r["constraint"], r["class"]) not in present]
        if changed == rules:
            continue
        bind.execute(sa.text(
            "INSERT INTO siting_rule_set_versions (rule_set_id, version, rules, note, created_by) "
            "VALUES (:id, :version, CAST(:rules AS jsonb), :note, 'migration 0019')"),
            {"id": rule_set_id, "version": version + 1, "rules": json.dumps(changed, ensure_ascii=False),
             "note": "《殡葬管理条例》第十条：增加耕地、林地、城市公园（区内禁止）；无出处的规则改为地方参数（建议性）"})


def _zone_table(name: str) -> None:
    op.create_geospatial_table(name,
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('approval_doc', sa.Text(), nullable=True),
    sa.Column('area_m2', sa.Float(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('source', sa.String(length=32), server_default='user', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}'))
    )
    op.create_geospatial_index(f'idx_{name}_geom', name, ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    # version + history (migration 0001) and audit (0002), as every layer table
    op.execute(f"CREATE TRIGGER {name}_before_write BEFORE INSERT OR UPDATE ON {name} "
               "FOR EACH ROW EXECUTE FUNCTION gis_before_write()")
    op.execute(f"CREATE TRIGGER {name}_after_write AFTER INSERT OR UPDATE OR DELETE ON {name} "
               "FOR EACH ROW EXECUTE FUNCTION gis_after_write()")
    op.execute(f"CREATE TRIGGER {name}_audit AFTER INSERT OR UPDATE OR DELETE ON {name} "
               "FOR EACH ROW EXECUTE FUNCTION gis_audit_write()")


def upgrade() -> None:
    for table in ('roads', 'railways'):
        op.add_column(table, sa.Column('width_m', sa.Float(), nullable=True))
        op.create_check_constraint(op.f(f'ck_{table}_width_m_range'), table,
                                   'width_m IS NULL OR (width_m > 0 AND width_m <= 200)')
    op.add_column('cemeteries', sa.Column('serves_villages', postgresql.ARRAY(sa.String(length=12)), nullable=True))
    op.add_column('cemeteries', sa.Column('service_agreement', sa.Text(), nullable=True))
    op.add_column('scattered_graves', sa.Column('kind', sa.String(length=16), server_default='scattered',
                                                nullable=False))
    op.create_index(op.f('ix_scattered_graves_kind'), 'scattered_graves', ['kind'], unique=False)
    for name in NEW_ZONES:
        _zone_table(name)
    op.execute(TRIGGERS_SQL)
    op.execute("SET LOCAL TimeZone = 'UTC'")  # as the trigger functions write timestamps
    for statement in REFILL:
        op.execute(statement)
    migrate_rule_sets()


def downgrade() -> None:
    # the rule-set versions added by the upgrade stay: versions are history, never deleted
    for name in NEW_ZONES:
        op.execute(f"DELETE FROM listed_features WHERE layer = '{name}'")
        op.drop_geospatial_index(f'idx_{name}_geom', table_name=name, postgresql_using='gist', column_name='geom')
        op.drop_geospatial_table(name)
    op.drop_index(op.f('ix_scattered_graves_kind'), table_name='scattered_graves')
    op.drop_column('scattered_graves', 'kind')
    op.drop_column('cemeteries', 'service_agreement')
    op.drop_column('cemeteries', 'serves_villages')
    for table in ('roads', 'railways'):
        op.drop_constraint(op.f(f'ck_{table}_width_m_range'), table, type_='check')
        op.drop_column(table, 'width_m')
    op.execute(_previous_listed_functions())


def _previous_listed_functions() -> str:
    """Migration 0012's listed-text functions of the layers that stay (they name no dropped column)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name('0012_listed_features.py')
    spec = importlib.util.spec_from_file_location('migration_0012', path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kept = [t for t in LISTED_LAYERS if t not in NEW_ZONES]
    return "\n\n".join(block for block in module.TRIGGERS_SQL.split("\n\n")
                        if any(f"gis_{t}_listed()" in block for t in kept))
