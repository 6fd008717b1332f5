"""migrate_schemas over a fleet: forward, plan, rollback, fake, data migrations, failures."""

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

import tenant_apps.tracker.migrations as tracker_migrations
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Tenant
from tenant_apps.projects.models import Project
from tenant_apps.tracker.models import Task, TaskStatus
from tests.shared_apps.migrator.conftest import (
    EXECUTORS,
    applied,
    has_column,
    has_constraint,
    has_index,
    migrate,
)

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_AT = ("tracker", "0003_task_closed_at")
PRIORITY_RANGE = ("tracker", "0004_task_priority_range")


def schemas(tenants) -> list[str]:
    return [tenant.schema_name for tenant in tenants]


@pytest.mark.parametrize("executor", EXECUTORS, indirect=True)
def test_forward_migration_reaches_every_tenant(fleet, executor):
    migrate("tracker", "0002", executor="standard")
    assert all(not has_column(s, "tracker_task", "closed_at") for s in schemas(fleet))

    migrate(executor=executor, workers=2)

    for schema in schemas(fleet):
        assert {CLOSED_AT, PRIORITY_RANGE} <= applied(schema)
        assert has_column(schema, "tracker_task", "closed_at")
        assert has_index(schema, "task_closed_at_idx")
        assert has_constraint(schema, "task_priority_range")
    run = MigrationRun.objects.first()
    assert run.status == MigrationRun.Status.DONE
    assert run.executor == executor
    assert run.done_count == len(fleet)
    assert set(run.tenants.values_list("schema_name", flat=True)) == set(schemas(fleet))


def test_plan_shows_groups_and_changes_nothing(fleet):
    migrate("tracker", "0003", executor="standard")
    migrate("tracker", "0002", schemas=[fleet[0].schema_name], executor="standard")
    before = {schema: applied(schema) for schema in schemas(fleet)}
    runs_before = MigrationRun.objects.count()
    out = io.StringIO()

    migrate(plan=True, stdout=out, verbosity=1)

    assert {schema: applied(schema) for schema in schemas(fleet)} == before
    assert MigrationRun.objects.count() == runs_before
    text = out.getvalue()
    assert "2 group(s)" in text
    assert "Apply tracker.0003_task_closed_at" in text
    assert "Apply tracker.0004_task_priority_range" in text


@pytest.mark.parametrize("executor", EXECUTORS, indirect=True)
def test_rollback_every_tenant_to_an_earlier_migration(fleet, executor):
    before = {schema: sorted(f"{a}.{n}" for a, n in applied(schema)) for schema in schemas(fleet)}
    migrate("tracker", "0002", executor=executor)

    for schema in schemas(fleet):
        assert CLOSED_AT not in applied(schema)
        assert PRIORITY_RANGE not in applied(schema)
        assert not has_column(schema, "tracker_task", "closed_at")
        assert not has_constraint(schema, "task_priority_range")
    run = MigrationRun.objects.first()
    assert run.operation == MigrationRun.Operation.ROLLBACK
    assert run.target == {"tracker": "0002"}
    recorded = dict(run.tenants.values_list("schema_name", "state_before"))
    # Each record holds its own tenant's state, in full.
    assert {schema: recorded.get(schema) for schema in before} == before


def test_fake_records_without_touching_tables(fleet):
    migrate("tracker", "0003", fake=True, executor="parallel")
    for schema in schemas(fleet):
        assert PRIORITY_RANGE not in applied(schema)
        assert has_constraint(schema, "task_priority_range")  # the table was not changed

    migrate(fake=True, executor="parallel")
    for schema in schemas(fleet):
        assert PRIORITY_RANGE in applied(schema)
        assert has_constraint(schema, "task_priority_range")


@pytest.mark.parametrize("executor", EXECUTORS, indirect=True)
def test_data_migration_seeds_rows_in_every_tenant(fleet, executor):
    # Unapplying 0002 removes the seeded statuses that no task uses.
    migrate("tracker", "0001", executor="standard")
    assert status_slugs(fleet[0].schema_name) == []

    migrate(executor=executor)

    for schema in schemas(fleet):
        assert status_slugs(schema) == ["done", "in-progress", "todo"]


def status_slugs(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT slug FROM "{schema}".tracker_taskstatus ORDER BY slug')
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("executor", EXECUTORS, indirect=True)
def test_poisoned_tenant_fails_alone_and_resume_redoes_only_it(fleet, executor):
    migrate("tracker", "0003", executor="standard")
    poisoned = fleet[6]
    with tenant_context(poisoned):
        project, _ = Project.objects.get_or_create(key="POISON", defaults={"name": "Poison"})
        task = Task.objects.create(
            project=project, status=TaskStatus.objects.get(slug="todo"), title="out of range"
        )
        Task.objects.filter(pk=task.pk).update(priority=9)

    with pytest.raises(CommandError, match=poisoned.schema_name):
        migrate(executor=executor)

    run = MigrationRun.objects.first()
    assert run.status == MigrationRun.Status.FAILED
    failed = TenantMigration.objects.get(run=run, status=TenantMigration.Status.FAILED)
    assert failed.schema_name == poisoned.schema_name
    assert "task_priority_range" in failed.error
    assert run.done_count == len(fleet) - 1
    for schema in schemas(fleet):
        assert (PRIORITY_RANGE in applied(schema)) == (schema != poisoned.schema_name)
        assert has_constraint(schema, "task_priority_range") == (schema != poisoned.schema_name)
    finished_before = dict(run.tenants.values_list("schema_name", "finished_at"))

    with tenant_context(poisoned):
        Task.objects.filter(pk=task.pk).update(priority=2)
    out = io.StringIO()
    migrate(resume=str(run.id), executor=executor, json=True, stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["run_id"] == str(run.id)
    assert summary["tenants"]["migrated"] == 1
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE
    assert PRIORITY_RANGE in applied(poisoned.schema_name)
    finished_after = dict(run.tenants.values_list("schema_name", "finished_at"))
    changed = {s for s in finished_after if finished_after[s] != finished_before[s]}
    assert changed == {poisoned.schema_name}


def test_tenants_that_are_not_active_are_skipped_and_reported(fleet):
    migrate("tracker", "0003", executor="standard")
    Tenant.objects.filter(pk=fleet[2].pk).update(status=Tenant.Status.SUSPENDED)
    out = io.StringIO()

    migrate(executor="standard", json=True, stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["skipped"] == [{"schema": fleet[2].schema_name, "status": "suspended"}]
    assert PRIORITY_RANGE not in applied(fleet[2].schema_name)
    record = MigrationRun.objects.first().tenants.get(schema_name=fleet[2].schema_name)
    assert record.status == TenantMigration.Status.SKIPPED
    Tenant.objects.filter(pk=fleet[2].pk).update(status=Tenant.Status.ACTIVE)


def test_all_current_reads_state_in_one_query_and_touches_no_schema(fleet):
    runs_before = MigrationRun.objects.count()
    with CaptureQueriesContext(connection) as queries:
        migrate(executor="parallel")
    tenant_statements = [
        q["sql"]
        for q in queries.captured_queries
        if any(f'"{schema}"' in q["sql"] for schema in schemas(fleet))
    ]
    assert len(tenant_statements) == 1
    assert "UNION ALL" in tenant_statements[0]
    assert "django_migrations" in tenant_statements[0]
    assert MigrationRun.objects.count() == runs_before


def test_celery_executor_without_a_worker_says_how_to_start_one(fleet, celery_worker):
    migrate("tracker", "0003", executor="standard")
    runs_before = MigrationRun.objects.count()
    celery_worker.stop()
    try:
        with pytest.raises(CommandError, match="No Celery worker consumes the 'operator' queue"):
            migrate(executor="celery")
    finally:
        celery_worker.start()
    assert MigrationRun.objects.count() == runs_before  # nothing recorded, nothing queued


NON_ATOMIC_MIGRATION = """
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [
        AddIndexConcurrently("task", models.Index(fields=["title"], name="task_title_idx")),
    ]
"""


def test_a_non_atomic_migration_runs_outside_a_transaction(fleet, tmp_path, settings, monkeypatch):
    package = tmp_path / "tracker_more_migrations"
    shutil.copytree(
        Path(tracker_migrations.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (package / "0006_title_index_concurrently.py").write_text(NON_ATOMIC_MIGRATION)
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MIGRATION_MODULES = {"tracker": "tracker_more_migrations"}
    targets = schemas(fleet[:2])

    migrate(executor="standard", schemas=targets)  # CREATE INDEX CONCURRENTLY: no transaction
    for schema in targets:
        assert ("tracker", "0006_title_index_concurrently") in applied(schema)
        assert has_index(schema, "task_title_idx")

    migrate("tracker", "0005", executor="standard", schemas=targets)
    for schema in targets:
        assert not has_index(schema, "task_title_idx")
        assert ("tracker", "0006_title_index_concurrently") not in applied(schema)


def test_resuming_a_failed_rollback_keeps_rolling_back(fleet):
    stuck = fleet[3].schema_name
    with connection.cursor() as cursor:  # a hand-made clash: the rollback cannot drop it
        cursor.execute(f'ALTER TABLE "{stuck}".tracker_task DROP CONSTRAINT task_priority_range')
    with pytest.raises(CommandError, match=stuck):
        migrate("tracker", "0002", executor="parallel")
    run = MigrationRun.objects.first()
    assert run.operation == MigrationRun.Operation.ROLLBACK
    with connection.cursor() as cursor:
        cursor.execute(
            f'ALTER TABLE "{stuck}".tracker_task ADD CONSTRAINT task_priority_range'
            " CHECK (priority >= 1 AND priority <= 4)"
        )

    migrate(resume=str(run.id), executor="parallel")  # no target given: the run's own

    assert CLOSED_AT not in applied(stuck)
    assert not has_column(stuck, "tracker_task", "closed_at")
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE
