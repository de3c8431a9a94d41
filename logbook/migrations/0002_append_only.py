"""PostgreSQL refuses UPDATE and DELETE on the logbook, and TRUNCATE unless the
session sets arc.logbook_truncate (the test suite's flush). The chain head
starts at the genesis hash."""

from django.db import migrations

GENESIS = "0" * 64

SQL = f"""
CREATE OR REPLACE FUNCTION logbook_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the logbook is append-only: % refused on logbook_logentry', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION logbook_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('arc.logbook_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the logbook is append-only: TRUNCATE refused on logbook_logentry'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER logbook_no_update BEFORE UPDATE OR DELETE ON logbook_logentry
    FOR EACH ROW EXECUTE FUNCTION logbook_refuse_change();
CREATE TRIGGER logbook_no_truncate BEFORE TRUNCATE ON logbook_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION logbook_refuse_truncate();

INSERT INTO logbook_chainhead (id, last_id, last_hash, count) VALUES (1, 0, '{GENESIS}', 0)
    ON CONFLICT (id) DO NOTHING;
"""

REVERSE = """
DROP TRIGGER IF EXISTS logbook_no_update ON logbook_logentry;
DROP TRIGGER IF EXISTS logbook_no_truncate ON logbook_logentry;
DROP FUNCTION IF EXISTS logbook_refuse_change();
DROP FUNCTION IF EXISTS logbook_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("logbook", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
