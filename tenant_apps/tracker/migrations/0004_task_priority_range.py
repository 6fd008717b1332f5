"""Reject task priorities outside 1–4 in the database, not only in forms."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0003_task_closed_at")]

    operations = [
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("priority__gte", 1), ("priority__lte", 4)),
                name="task_priority_range",
            ),
        ),
    ]
