"""A tenant migration Citus refuses on a distributed table (ALTER COLUMN … SET STATISTICS)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_task_created_at_index")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE tracker_task ALTER COLUMN title SET STATISTICS 500",
            migrations.RunSQL.noop,
        )
    ]
