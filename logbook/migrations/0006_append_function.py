"""``logbook_append``: the chain's critical section as one statement.

Lock the chain head, take the database clock (never earlier than the last
entry), link each entry (SHA-256 of ``prev_hash|content_hash|created_at``, the
v2 formula of ``logbook.chain``), insert it, move the head. The writer computes
the content hashes before calling it, so nothing under the lock waits on the
client. ``p_sync`` is the transaction's ``synchronous_commit`` (the writer asks
for ``off`` and waits for the WAL flush after the commit, outside the lock).
Returns no row if the head row is missing (the writer creates it and retries).
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION logbook_append(p_entries jsonb, p_sync text)
RETURNS TABLE (entry_id bigint, entry_created_at timestamptz, entry_prev_hash varchar, entry_hash varchar)
LANGUAGE plpgsql AS $$
DECLARE
    v_last_id bigint;
    v_hash varchar;
    v_count bigint;
    v_now timestamptz;
    v_ts text;
    v_new varchar;
    v_id bigint;
    v_n bigint := 0;
    r record;
BEGIN
    SELECT h.last_id, h.last_hash, h.count INTO v_last_id, v_hash, v_count
    FROM logbook_chainhead h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM set_config('synchronous_commit', p_sync, true);
    v_now := GREATEST(clock_timestamp(), (SELECT e.created_at FROM logbook_logentry e WHERE e.id = v_last_id));
    v_ts := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00';
    FOR r IN SELECT * FROM jsonb_to_recordset(p_entries) AS x(
            content_hash text, actor_kind text, actor_id bigint, actor_name text, action text, category text,
            customer_id bigint, customer_label text, site_id bigint, site_label text, alarm_id bigint,
            alarm_label text, intervention_id bigint, intervention_label text, message text, old_values jsonb,
            new_values jsonb, correlation_id uuid, corrects_id bigint) LOOP
        v_new := encode(sha256(convert_to(v_hash || '|' || r.content_hash || '|' || v_ts, 'UTF8')), 'hex');
        INSERT INTO logbook_logentry (created_at, prev_hash, hash, actor_kind, actor_id, actor_name, action,
                                      category, customer_id, customer_label, site_id, site_label, alarm_id,
                                      alarm_label, intervention_id, intervention_label, message, old_values,
                                      new_values, correlation_id, corrects_id)
        VALUES (v_now, v_hash, v_new, r.actor_kind, r.actor_id, r.actor_name, r.action, r.category,
                r.customer_id, r.customer_label, r.site_id, r.site_label, r.alarm_id, r.alarm_label,
                r.intervention_id, r.intervention_label, r.message, r.old_values, r.new_values,
                r.correlation_id, r.corrects_id)
        RETURNING id INTO v_id;
        entry_id := v_id;
        entry_created_at := v_now;
        entry_prev_hash := v_hash;
        entry_hash := v_new;
        RETURN NEXT;
        v_hash := v_new;
        v_n := v_n + 1;
    END LOOP;
    IF v_n > 0 THEN
        UPDATE logbook_chainhead SET last_id = v_id, last_hash = v_hash, count = v_count + v_n WHERE id = 1;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("logbook", "0005_drop_redundant_indexes"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS logbook_append(jsonb, text)"),
    ]
