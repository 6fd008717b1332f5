"""Django's own migration commands do the multi-tenant thing, or say what to run instead."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

import tenant_apps.tracker.migrations as tracker_migrations
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Tenant
from tests.shared_apps.migrator.conftest import applied, has_column, migrate

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_AT = ("tracker", "0003_task_closed_at")


def output(command: str, *args, **options) -> str:
    out = io.StringIO()
    result = call_command(command, *args, stdout=out, **options)
    return out.getvalue() + (result or "")


def test_migrate_runs_the_fleet_engine(fleet):
    active, suspended = fleet[0], fleet[1]
    migrate("tracker", "0002", executor="standard", schemas=[active.schema_name])
    migrate("tracker", "0002", executor="standard", schemas=[suspended.schema_name])
    Tenant.objects.filter(pk=suspended.pk).update(status=Tenant.Status.SUSPENDED)
    try:
        call_command("migrate", verbosity=0)

        assert CLOSED_AT in applied(active.schema_name)
        assert CLOSED_AT not in applied(suspended.schema_name)  # not ready: skipped
        run = MigrationRun.objects.first()
        assert run.status == MigrationRun.Status.DONE
        skipped = run.tenants.get(schema_name=suspended.schema_name)
        assert skipped.status == TenantMigration.Status.SKIPPED
    finally:
        Tenant.objects.filter(pk=suspended.pk).update(status=Tenant.Status.ACTIVE)
        migrate(executor="standard", schemas=[suspended.schema_name])
    call_command("check", "--fail-level", "ERROR")  # Django checks migrate's autodetector


LEAF = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [migrations.AddField("task", "{name}", models.IntegerField(null=True))]
"""


@pytest.mark.parametrize("schema_option", [False, True])
def test_migrate_schemas_refuses_conflicting_leaves(
    fleet, tmp_path, settings, monkeypatch, schema_option
):
    package = tmp_path / "tracker_two_leaves"
    shutil.copytree(
        Path(tracker_migrations.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (package / "0006_task_points.py").write_text(LEAF.replace("{name}", "points"))
    (package / "0006_task_effort.py").write_text(LEAF.replace("{name}", "effort"))
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MIGRATION_MODULES = {"tracker": "tracker_two_leaves"}
    schema = fleet[0].schema_name
    runs_before = MigrationRun.objects.count()

    options = {"schemas": [schema]} if schema_option else {}
    with pytest.raises(CommandError, match="makemigrations --merge"):
        migrate(executor="standard", **options)

    assert not has_column(schema, "tracker_task", "points")
    assert not has_column(schema, "tracker_task", "effort")
    assert MigrationRun.objects.count() == runs_before


def test_sqlmigrate_prints_what_the_engine_runs_in_each_tenant(fleet):
    text = output("sqlmigrate", "tracker", "0003")

    assert 'ALTER TABLE "tracker_task" ADD COLUMN "closed_at"' in text
    assert "task_closed_at_idx" in text
    assert "(no-op)" not in text
    backwards = output("sqlmigrate", "tracker", "0003", backwards=True)
    assert 'DROP COLUMN "closed_at"' in backwards
    seeded = output("sqlmigrate", "tracker", "0002")  # a data migration
    assert "Runs live in each tenant: Raw Python operation" in seeded


def test_showmigrations_counts_tenants_and_shows_one_schema(fleet):
    migrate("tracker", "0002", executor="standard", schemas=[fleet[0].schema_name])
    try:
        fleet_view = output("showmigrations", "tracker")
        one = output("showmigrations", "tracker", schema=fleet[0].schema_name)
    finally:
        migrate(executor="standard", schemas=[fleet[0].schema_name])

    total = Tenant.objects.filter(status=Tenant.Status.ACTIVE).count()
    assert f"[ ] 0003_task_closed_at ({total - 1}/{total})" in fleet_view
    assert f"[X] 0001_initial ({total}/{total})" in fleet_view
    assert "[X] 0002_seed_task_statuses" in one
    assert "[ ] 0003_task_closed_at" in one
    shared = output("showmigrations", "tenants")
    assert "[X] 0001_initial" in shared  # shared apps: the public schema, as Django shows them


def test_flush_refuses_while_tenant_schemas_exist(fleet):
    with pytest.raises(CommandError, match="delete_tenant --slug acme --noinput"):
        call_command("flush", interactive=False)  # as `manage.py flush --noinput` does

    assert Tenant.objects.filter(slug="acme").exists()
