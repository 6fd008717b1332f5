"""Record when a task was completed: nullable column, index, and a backfill for done tasks."""

from django.db import migrations, models


def backfill_closed_at(apps, schema_editor):
    Task = apps.get_model("tracker", "Task")
    Task.objects.filter(status__is_completed=True, closed_at__isnull=True).update(
        closed_at=models.F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0002_seed_task_statuses")]

    operations = [
        migrations.AddField(
            model_name="task",
            name="closed_at",
            field=models.DateTimeField(
                blank=True, help_text="When the task entered a completed status.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["closed_at"], name="task_closed_at_idx"),
        ),
        migrations.RunPython(backfill_closed_at, migrations.RunPython.noop),
    ]
