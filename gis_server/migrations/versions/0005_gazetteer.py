"""gazetteer: pinyin search keys, name variants, township/village derived from the geometry

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Search keys of a pinyin spelling, as immutable functions so they can be generated columns:
# "Haicheng Shi" -> 'haichengshi' and 'hcs'. The initials split each word into syllables
# (fewest syllables; no syllable but a word's first opens with a/o/e, which the apostrophe
# rule guarantees); digits (street ordinals) are kept whole. Mirrors layers/gazetteer/pinyin.py.
FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION gazetteer_pinyin_fold(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT translate(lower(p), 'āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü', 'aaaaeeeeiiiioooouuuuvvvvv')
$$;

CREATE OR REPLACE FUNCTION gazetteer_pinyin_key(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(regexp_replace(gazetteer_pinyin_fold(p), '[^a-z0-9]', '', 'g'), '')
$$;

CREATE OR REPLACE FUNCTION gazetteer_pinyin_initials(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  syllable constant text := '^((zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])(iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|an|ao|ei|en|er|ia|ie|in|iu|ou|ua|ue|ui|un|uo|ve|vn|a|e|i|o|u|v)|ang|eng|ai|an|ao|ei|en|er|ou|a|e|o)$';
  word text; part text; n int; i int; j int; out text := '';
  cost int[]; prev int[];
BEGIN
  IF p IS NULL THEN RETURN NULL; END IF;
  FOR word IN SELECT m[1] FROM regexp_matches(gazetteer_pinyin_fold(p), '([a-z]+|[0-9]+)', 'g') AS m LOOP
    IF word ~ '^[0-9]' THEN out := out || word; CONTINUE; END IF;
    n := length(word);
    cost := array_fill(NULL::int, ARRAY[n + 1], ARRAY[0]);
    prev := array_fill(NULL::int, ARRAY[n + 1], ARRAY[0]);
    cost[0] := 0;
    FOR i IN 0 .. n - 1 LOOP
      CONTINUE WHEN cost[i] IS NULL;
      FOR j IN i + 1 .. least(n, i + 6) LOOP
        part := substr(word, i + 1, j - i);
        IF part ~ syllable AND (i = 0 OR part !~ '^[aeo]') AND (cost[j] IS NULL OR cost[i] + 1 < cost[j]) THEN
          cost[j] := cost[i] + 1; prev[j] := i;
        END IF;
      END LOOP;
    END LOOP;
    IF cost[n] IS NULL THEN out := out || left(word, 1); CONTINUE; END IF;
    part := ''; j := n;
    WHILE j > 0 LOOP
      part := substr(word, prev[j] + 1, 1) || part; j := prev[j];
    END LOOP;
    out := out || part;
  END LOOP;
  RETURN nullif(out, '');
END $$;

-- township/village of a place from its geometry (a point on it): re-derived when it moves.
-- A trigger of its own, beside the generic version/history triggers of migration 0001.
CREATE OR REPLACE FUNCTION gazetteer_place_names_derive_units() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  spot geometry;
  county_level boolean := NEW.class_code = '03100' AND right(NEW.name, 1) IN ('市', '县', '区', '旗');
  township_level boolean := NEW.class_code = '03100';
BEGIN
  IF NOT county_level AND (TG_OP = 'INSERT' AND (NEW.township_code IS NULL OR NEW.village_code IS NULL)
      OR TG_OP = 'UPDATE' AND NOT ST_OrderingEquals(NEW.geom, OLD.geom)) THEN
    spot := ST_PointOnSurface(NEW.geom);
    IF TG_OP = 'INSERT' AND NEW.township_code IS NOT NULL THEN
      NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.township_code IS NOT DISTINCT FROM OLD.township_code THEN
      NEW.township_code := (SELECT code FROM townships WHERE retired_at IS NULL AND ST_Intersects(geom, spot)
                            ORDER BY code LIMIT 1);
    END IF;
    IF township_level OR TG_OP = 'INSERT' AND NEW.village_code IS NOT NULL THEN
      NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.village_code IS NOT DISTINCT FROM OLD.village_code THEN
      NEW.village_code := (SELECT code FROM villages WHERE retired_at IS NULL AND ST_Intersects(geom, spot)
                           ORDER BY code LIMIT 1);
    END IF;
  END IF;
  RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.execute(FUNCTIONS_SQL)
    op.add_column('place_names', sa.Column('pinyin_toned', sa.Text(), nullable=True))
    op.add_column('place_names', sa.Column('pinyin_key', sa.Text(), sa.Computed('gazetteer_pinyin_key(pinyin)', persisted=True), nullable=True))
    op.add_column('place_names', sa.Column('pinyin_initials', sa.Text(), sa.Computed('gazetteer_pinyin_initials(pinyin)', persisted=True), nullable=True))
    op.create_index('ix_place_names_pinyin_key', 'place_names', ['pinyin_key'], unique=False, postgresql_ops={'pinyin_key': 'text_pattern_ops'})
    op.create_index('ix_place_names_pinyin_initials', 'place_names', ['pinyin_initials'], unique=False, postgresql_ops={'pinyin_initials': 'text_pattern_ops'})
    op.create_index('ix_place_names_name_prefix', 'place_names', ['name'], unique=False, postgresql_ops={'name': 'text_pattern_ops'})
    op.create_table('place_name_variants',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('place_name_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('pinyin', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('document', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['place_name_id'], ['place_names.id'], name=op.f('fk_place_name_variants_place_name_id_place_names')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_name_variants'))
    )
    op.create_index(op.f('ix_place_name_variants_place_name_id'), 'place_name_variants', ['place_name_id'], unique=False)
    op.create_index('ix_place_name_variants_name_trgm', 'place_name_variants', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.execute("CREATE TRIGGER place_names_derive_units BEFORE INSERT OR UPDATE ON place_names "
               "FOR EACH ROW EXECUTE FUNCTION gazetteer_place_names_derive_units()")


def downgrade() -> None:
    op.execute("DROP TRIGGER place_names_derive_units ON place_names")
    op.drop_index('ix_place_name_variants_name_trgm', table_name='place_name_variants')
    op.drop_index(op.f('ix_place_name_variants_place_name_id'), table_name='place_name_variants')
    op.drop_table('place_name_variants')
    op.drop_index('ix_place_names_name_prefix', table_name='place_names')
    op.drop_index('ix_place_names_pinyin_initials', table_name='place_names')
    op.drop_index('ix_place_names_pinyin_key', table_name='place_names')
    op.drop_column('place_names', 'pinyin_initials')
    op.drop_column('place_names', 'pinyin_key')
    op.drop_column('place_names', 'pinyin_toned')
    op.execute("DROP FUNCTION gazetteer_place_names_derive_units(), gazetteer_pinyin_initials(text), "
               "gazetteer_pinyin_key(text), gazetteer_pinyin_fold(text)")
