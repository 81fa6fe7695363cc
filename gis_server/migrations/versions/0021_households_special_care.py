"""Households: the number of 特困 persons (special_care_persons) and a range check for it; the new
categories (低保边缘家庭, 机构孤儿, 事实无人抚养儿童, 重度残疾) need no schema change (categories is a text
array checked by the layer). ``orphan`` keeps its code and now means 散居孤儿, the meaning the existing
rows had (households in villages), so no stored value is rewritten. The households' listed texts are
rebuilt for the new field (python -m layers.listed).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 19:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

RANGE = '"special_care_persons" >= 0 AND "special_care_persons" <= 50'  # layers.registry.range_check_sql
NEW_COLUMN = {"NEW": ', NEW."special_care_persons" AS "special_care_persons"',
              "t": ', t."special_care_persons" AS "special_care_persons"'}

TRIGGER_SQL = r"""
CREATE OR REPLACE FUNCTION gis_households_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'households' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('households', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", CASE WHEN NEW."head_name" IS NULL THEN NULL WHEN char_length(NEW."head_name") < 2 THEN '*' ELSE left(NEW."head_name", 1) || repeat('*', char_length(NEW."head_name") - 1) END AS "head_name", NEW."id_number_masked" AS "id_number_masked", CASE WHEN NEW."phone" IS NULL THEN NULL WHEN char_length(NEW."phone") >= 11 THEN left(NEW."phone", 3) || repeat('*', char_length(NEW."phone") - 7) || right(NEW."phone", 4) WHEN char_length(NEW."phone") >= 5 THEN repeat('*', char_length(NEW."phone") - 2) || right(NEW."phone", 2) ELSE '****' END AS "phone", CASE WHEN NEW."address" IS NULL THEN NULL ELSE left(NEW."address", least(6, char_length(NEW."address") / 2)) || '****' END AS "address", NEW."categories" AS "categories", NEW."members" AS "members", NEW."special_care_persons" AS "special_care_persons", NEW."has_child_under_14" AS "has_child_under_14", NEW."village_code" AS "village_code", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS households_listed ON households;
CREATE TRIGGER households_listed AFTER INSERT OR UPDATE OR DELETE ON households FOR EACH ROW EXECUTE FUNCTION gis_households_listed();
"""

REFILL = ["SET LOCAL TimeZone = 'UTC'", 'INSERT INTO listed_features (layer, id, feature) SELECT \'households\', t.id, \'{"type":"Feature","id":\' || t.id || \',"geometry":\' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), \'null\') || \',"properties":\' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", CASE WHEN t."head_name" IS NULL THEN NULL WHEN char_length(t."head_name") < 2 THEN \'*\' ELSE left(t."head_name", 1) || repeat(\'*\', char_length(t."head_name") - 1) END AS "head_name", t."id_number_masked" AS "id_number_masked", CASE WHEN t."phone" IS NULL THEN NULL WHEN char_length(t."phone") >= 11 THEN left(t."phone", 3) || repeat(\'*\', char_length(t."phone") - 7) || right(t."phone", 4) WHEN char_length(t."phone") >= 5 THEN repeat(\'*\', char_length(t."phone") - 2) || right(t."phone", 2) ELSE \'****\' END AS "phone", CASE WHEN t."address" IS NULL THEN NULL ELSE left(t."address", least(6, char_length(t."address") / 2)) || \'****\' END AS "address", t."categories" AS "categories", t."members" AS "members", t."special_care_persons" AS "special_care_persons", t."has_child_under_14" AS "has_child_under_14", t."village_code" AS "village_code", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || \'}\' FROM households t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature', "DELETE FROM listed_features l WHERE l.layer = 'households' AND NOT EXISTS (SELECT 1 FROM households t WHERE t.id = l.id)"]


def upgrade() -> None:
    op.add_column('households', sa.Column('special_care_persons', sa.Integer(), nullable=True))
    op.create_check_constraint(op.f('ck_households_special_care_persons_range'), 'households', sa.text(RANGE))
    op.execute(TRIGGER_SQL)
    op.execute("SET LOCAL TimeZone = 'UTC'")  # as the trigger functions write timestamps
    for statement in REFILL:
        op.execute(statement)


def downgrade() -> None:
    # the trigger and texts as migration 0012 wrote them: the same SQL without the new column
    op.execute(TRIGGER_SQL.replace(NEW_COLUMN["NEW"], ''))
    op.execute("SET LOCAL TimeZone = 'UTC'")
    for statement in REFILL:
        op.execute(statement.replace(NEW_COLUMN["t"], ''))
    op.drop_constraint(op.f('ck_households_special_care_persons_range'), 'households', type_='check')
    op.drop_column('households', 'special_care_persons')
