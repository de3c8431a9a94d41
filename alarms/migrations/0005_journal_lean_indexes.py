import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alarms', '0004_handling'),
        ('sites', '0003_temporary_instructions'),
    ]

    # Leaner journal for the receiver's path to the ACK: no foreign-key constraints and
    # no redundant indexes on the journal tables; de-duplication keys become UUIDs (the
    # first 128 bits of the same SHA-256, so keys stored before this migration still
    # match the frames that repeat them).
    operations = [
        migrations.RunSQL("UPDATE alarms_signaldedup SET key = left(key, 32) WHERE length(key) > 32",
                          migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='signal',
            name='account',
            field=models.CharField(blank=True, max_length=20, verbose_name='compte'),
        ),
        migrations.AlterField(
            model_name='signal',
            name='outcome',
            field=models.CharField(choices=[('accepted', 'accepté'), ('duplicate', 'doublon'), ('rejected', 'rejeté')], max_length=10, verbose_name='résultat'),
        ),
        migrations.AlterField(
            model_name='signal',
            name='received_at',
            field=models.DateTimeField(verbose_name='reçu le'),
        ),
        migrations.AlterField(
            model_name='signal',
            name='site',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='signals', to='sites.site'),
        ),
        migrations.AlterField(
            model_name='signal',
            name='transmitter',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='signals', to='sites.transmitter'),
        ),
        migrations.AlterField(
            model_name='signaldedup',
            name='key',
            field=models.UUIDField(primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name='signaldedup',
            name='seen_at',
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name='signalevent',
            name='alarm',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='signal_events', to='alarms.alarm'),
        ),
        migrations.AlterField(
            model_name='signalevent',
            name='signal',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='alarms.signal'),
        ),
        migrations.AlterField(
            model_name='signalevent',
            name='site',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='sites.site'),
        ),
        migrations.AlterField(
            model_name='signalevent',
            name='zone_ref',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='sites.zone'),
        ),
        migrations.AddIndex(
            model_name='signal',
            index=models.Index(django.db.models.functions.text.Upper('account'), name='signal_account_idx'),
        ),
        migrations.AddIndex(
            model_name='signal',
            index=models.Index(condition=models.Q(('outcome', 'accepted'), _negated=True), fields=['outcome', '-id'], name='signal_notaccepted_idx'),
        ),
        migrations.AddIndex(
            model_name='signaldedup',
            index=django.contrib.postgres.indexes.BrinIndex(fields=['seen_at'], name='signaldedup_seen_brin'),
        ),
        migrations.AddIndex(
            model_name='signalevent',
            index=models.Index(condition=models.Q(('zone_ref__isnull', False)), fields=['zone_ref'], name='sigevent_zone_idx'),
        ),
        migrations.AddIndex(
            model_name='signalevent',
            index=models.Index(condition=models.Q(('alarm__isnull', False)), fields=['alarm'], name='sigevent_alarm_idx'),
        ),
    ]
