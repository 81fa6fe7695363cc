"""Continuous compliance: a change queue filled by triggers, the last check of every record, findings.

``compliance_changes`` is both the queue (``processed_at IS NULL``) and the change log of the report:
a trigger on ``feature_history`` appends a row for every write to a watched layer — through the API, an
import or straight in PostGIS (QGIS) — and one on ``siting_rule_set_versions`` for a new rule-set version;
``candidate_sites`` (not a registry layer, no history) queue themselves when created or moved.
``pg_notify('compliance')`` wakes the worker. ``compliance_status`` keeps the last check of each record and
rule (the "before" of the next change); ``compliance_findings`` is what the change caused (the 待办 list).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 14:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

# constraint layers (三沿六区), the records re-checked against them, and the other watched layers
WATCHED = ('roads', 'railways', 'rivers', 'basic_farmland', 'cultivated_land', 'forest_land', 'urban_parks',
           'urban_planning_zones', 'scenic_areas', 'nature_reserves', 'water_source_zones', 'heritage_sites',
           'cemeteries', 'scattered_graves', 'place_names', 'boundary_markers', 'shelters', 'care_facilities')

TRIGGERS = f"""
CREATE FUNCTION compliance_queue_history() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO compliance_changes (source, feature_id, version, operation, history_id, changed_by, reason)
  VALUES (NEW.layer, NEW.feature_id, NEW.version, NEW.operation, NEW.id, NEW.changed_by, NEW.reason);
  PERFORM pg_notify('compliance', NEW.layer);
  RETURN NULL;
END $$;
CREATE TRIGGER feature_history_compliance AFTER INSERT ON feature_history
FOR EACH ROW WHEN (NEW.layer IN ({", ".join(f"'{w}'" for w in WATCHED)}))
EXECUTE FUNCTION compliance_queue_history();

CREATE FUNCTION compliance_queue_rule_set() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO compliance_changes (source, feature_id, version, operation, changed_by, reason)
  VALUES ('siting_rule_set_versions', NEW.rule_set_id, NEW.version, 'insert', NEW.created_by, NEW.note);
  PERFORM pg_notify('compliance', 'siting_rule_set_versions');
  RETURN NULL;
END $$;
CREATE TRIGGER siting_rule_set_versions_compliance AFTER INSERT ON siting_rule_set_versions
FOR EACH ROW EXECUTE FUNCTION compliance_queue_rule_set();

CREATE FUNCTION compliance_queue_candidate() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.geom, OLD.geom) OR NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO compliance_changes (source, feature_id, version, operation, changed_by)
    VALUES ('candidate_sites', NEW.id, NEW.version, lower(TG_OP), NEW.updated_by);
    PERFORM pg_notify('compliance', 'candidate_sites');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER candidate_sites_compliance AFTER INSERT OR UPDATE ON candidate_sites
FOR EACH ROW EXECUTE FUNCTION compliance_queue_candidate();
"""


def upgrade() -> None:
    now = sa.text('clock_timestamp()')
    op.create_table('compliance_changes',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('feature_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('operation', sa.String(16), nullable=False),
    sa.Column('history_id', sa.BigInteger(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_changes'))
    )
    op.create_index('ix_compliance_changes_pending', 'compliance_changes', ['id'],
                    postgresql_where=sa.text('processed_at IS NULL'))
    op.create_index('ix_compliance_changes_changed_at', 'compliance_changes', ['changed_at'])
    op.create_table('compliance_status',
    sa.Column('record_layer', sa.Text(), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('violated', sa.Boolean(), nullable=False),
    sa.Column('nearest_id', sa.BigInteger(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.PrimaryKeyConstraint('record_layer', 'record_id', 'rule', name=op.f('pk_compliance_status'))
    )
    op.create_table('compliance_findings',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('topic', sa.String(16), nullable=False),
    sa.Column('kind', sa.String(24), nullable=False),
    sa.Column('record_layer', sa.Text(), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('record_name', sa.Text(), nullable=True),
    sa.Column('rule', sa.Text(), nullable=True),
    sa.Column('rule_label', sa.Text(), nullable=True),
    sa.Column('change_id', sa.BigInteger(), sa.ForeignKey('compliance_changes.id'), nullable=True),
    sa.Column('cause_layer', sa.Text(), nullable=True),
    sa.Column('cause_id', sa.BigInteger(), nullable=True),
    sa.Column('distance_before_m', sa.Float(), nullable=True),
    sa.Column('distance_after_m', sa.Float(), nullable=True),
    sa.Column('required_m', sa.Float(), nullable=True),
    sa.Column('basis', sa.Text(), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('state', sa.String(16), server_default='open', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('acted_by', sa.Text(), nullable=True),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_compliance_findings_state')),
    sa.CheckConstraint("char_length(note) <= 2000", name=op.f('ck_compliance_findings_note_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_findings'))
    )
    op.create_index('ix_compliance_findings_open', 'compliance_findings', ['topic', 'state'])
    op.create_index('ix_compliance_findings_record', 'compliance_findings', ['record_layer', 'record_id', 'rule'])
    op.create_index('ix_compliance_findings_change', 'compliance_findings', ['change_id'])
    op.execute(TRIGGERS)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS candidate_sites_compliance ON candidate_sites")
    op.execute("DROP TRIGGER IF EXISTS siting_rule_set_versions_compliance ON siting_rule_set_versions")
    op.execute("DROP TRIGGER IF EXISTS feature_history_compliance ON feature_history")
    for function in ('compliance_queue_candidate', 'compliance_queue_rule_set', 'compliance_queue_history'):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table('compliance_findings')
    op.drop_table('compliance_status')
    op.drop_table('compliance_changes')
