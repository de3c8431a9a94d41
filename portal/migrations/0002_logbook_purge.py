"""Let retention remove an archived prefix of the logbook, and nothing else.

The logbook's trigger refuses every UPDATE and DELETE. Retention needs to
remove entries older than the retention period once they are archived to a
file: a DELETE now passes only when the session says how far it purges
(``arc.logbook_purge_upto``) AND a LogbookCheckpoint row covering the entry
already exists (written in the same transaction, before the DELETE). UPDATE
stays refused, always.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION logbook_refuse_change() RETURNS trigger AS $$
DECLARE
    upto text := current_setting('arc.logbook_purge_upto', true);
BEGIN
    IF TG_OP = 'DELETE' AND upto IS NOT NULL AND upto <> '' AND OLD.id <= upto::bigint
       AND EXISTS (SELECT 1 FROM portal_logbookcheckpoint c WHERE c.last_id >= OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the logbook is append-only: % refused on logbook_logentry', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

REVERSE = """
CREATE OR REPLACE FUNCTION logbook_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the logbook is append-only: % refused on logbook_logentry', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial"), ("logbook", "0002_append_only")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
