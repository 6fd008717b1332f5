"""Seed the default task statuses in every tenant schema; safe to run again."""

from django.db import migrations

from tenant_apps.tracker.defaults import DEFAULT_TASK_STATUSES


def seed_task_statuses(apps, schema_editor):
    TaskStatus = apps.get_model("tracker", "TaskStatus")
    for status in DEFAULT_TASK_STATUSES:
        fields = {key: value for key, value in status.items() if key != "slug"}
        TaskStatus.objects.update_or_create(slug=status["slug"], defaults=fields)


def unseed_task_statuses(apps, schema_editor):
    TaskStatus = apps.get_model("tracker", "TaskStatus")
    slugs = [status["slug"] for status in DEFAULT_TASK_STATUSES]
    TaskStatus.objects.filter(slug__in=slugs, tasks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]

    operations = [migrations.RunPython(seed_task_statuses, unseed_task_statuses)]
