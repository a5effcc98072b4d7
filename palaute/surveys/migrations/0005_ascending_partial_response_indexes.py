# Fewer and cheaper response indexes for bulk imports (decision 15 in docs/decisions.md):
# the time indexes become ascending, the kiosk device index and the
# recorded_by index cover only the rows they are looked up by, and the version, stage and
# location foreign keys lose their indexes.
#
# The foreign-key indexes are dropped by name rather than through AlterField, which on
# SQLite would copy the whole response table once per field and on PostgreSQL would drop
# and re-validate each foreign-key constraint.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FOREIGN_KEY_INDEXES = {
    "location_id": "surveys_response_location_id_74c0d19b",
    "recorded_by_id": "surveys_response_recorded_by_id_1689ec87",
    "stage_id": "surveys_response_stage_id_9cee5683",
    "version_id": "surveys_response_version_id_f0ee267c",
}


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_organisation_allowed_origins_apitoken'),
        ('journeys', '0001_initial'),
        ('surveys', '0004_fewer_response_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='response',
            name='response_survey_time',
        ),
        migrations.RemoveIndex(
            model_name='response',
            name='response_org_time',
        ),
        migrations.RemoveIndex(
            model_name='response',
            name='response_tp_time',
        ),
        migrations.RemoveIndex(
            model_name='response',
            name='response_survey_device_time',
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "surveys_response" ("{column}")',
                )
                for column, name in FOREIGN_KEY_INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='response',
                    name='location',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='responses', to='journeys.location'),
                ),
                migrations.AlterField(
                    model_name='response',
                    name='recorded_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='response',
                    name='stage',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='responses', to='journeys.stage'),
                ),
                migrations.AlterField(
                    model_name='response',
                    name='version',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='surveys.surveyversion'),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(fields=['survey', 'submitted_at'], name='response_survey_time'),
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(fields=['organisation', 'submitted_at'], name='response_org_time'),
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(fields=['touchpoint', 'submitted_at'], name='response_tp_time'),
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(condition=models.Q(('channel', 'kiosk')), fields=['survey', 'device_id', 'submitted_at'], name='response_kiosk_device_time'),
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(condition=models.Q(('recorded_by__isnull', False)), fields=['recorded_by'], name='response_recorded_by'),
        ),
    ]
