"""The fleet engine and the template end where Django's `migrate` ends, on awkward histories.

Each test adds migrations to the tracker app (a copy of its migrations package, selected with
MIGRATION_MODULES) and compares the result with what Django's own `migrate` gives one schema.
"""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.signals import post_migrate

import tenant_apps.tracker.migrations as tracker_migrations
from shared_apps.migrator.models import MigrationRun
from shared_apps.tenants.catalog import catalog_diff, schema_catalogs
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.provisioning import schema_build_by_migrations, schema_drop
from shared_apps.tenants.services import tenant_create
from shared_apps.tenants.template import template_get
from shared_apps.tenants.validation import schema_name_for_slug
from tests.shared_apps.migrator.conftest import (
    applied,
    has_column,
    has_constraint,
    has_index,
    migrate,
)

pytestmark = pytest.mark.django_db(transaction=True)

REFERENCE = "t_reference_django"  # built by Django's migrate, per test
# The Celery worker is its own process with the project's settings: it cannot see migrations a
# test adds. The celery executor shares the runner with these two (see test_fleet_migrate).
LOCAL_EXECUTORS = ["standard", "parallel"]


class TrackerHistory:
    """Extra tracker migrations for one test, undone (tenants rolled back) afterwards."""

    def __init__(self, tmp_path, settings, monkeypatch) -> None:
        self.package = tmp_path / "tracker_history"
        self.settings, self.monkeypatch = settings, monkeypatch
        self.schemas: list[str] = []  # tenants to take back to the code's 0005
        self.slugs: list[str] = []  # tenants created by the test
        self.cleanup_sql: list[str] = []

    def install(self, files: dict[str, str]) -> None:
        if not self.package.exists():
            shutil.copytree(
                Path(tracker_migrations.__file__).parent,
                self.package,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
            self.monkeypatch.syspath_prepend(str(self.package.parent))
        for name, text in files.items():
            (self.package / f"{name}.py").write_text(text)
        self.settings.MIGRATION_MODULES = {"tracker": "tracker_history"}

    def undo(self) -> None:
        connection.set_schema_to_public()
        schema_drop(schema_name=REFERENCE)
        for slug in self.slugs:
            Tenant.objects.filter(slug=slug).delete()
            schema_drop(schema_name=schema_name_for_slug(slug))
        if self.schemas:
            migrate("tracker", "0005", executor="standard", schemas=self.schemas)
        with connection.cursor() as cursor:
            for statement in self.cleanup_sql:
                cursor.execute(statement)


@pytest.fixture
def history(tmp_path, settings, monkeypatch):
    tracker = TrackerHistory(tmp_path, settings, monkeypatch)
    yield tracker
    tracker.undo()


def reference_schema() -> str:
    """Build the reference schema with Django's own `migrate` (post_migrate included)."""
    schema_drop(schema_name=REFERENCE)
    schema_build_by_migrations(schema_name=REFERENCE)
    return REFERENCE


def assert_same_catalog(*schemas: str) -> None:
    catalogs = schema_catalogs([REFERENCE, *schemas])
    for schema in schemas:
        assert catalog_diff(catalogs[REFERENCE], catalogs[schema]) == [], schema


def rows(schema: str, table: str, columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns} FROM "{schema}"."{table}" ORDER BY 1')
        return cursor.fetchall()


def check_schemas(*schemas: str) -> str:
    out = io.StringIO()
    call_command("check_schemas", *[f"--schema={s}" for s in schemas], stdout=out)
    return out.getvalue()


PARTIAL_INDEX = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [
        migrations.AddIndex(
            "task",
            models.Index(
                fields=["due_date"],
                condition=models.Q(title__in=["release", "hotfix"]),
                name="task_release_due_idx",
            ),
        ),
        migrations.AddConstraint(
            "task",
            models.CheckConstraint(
                condition=models.Q(description__in=["", "n/a", "see title"])
                | models.Q(priority__gte=2),
                name="task_low_described",
            ),
        ),
    ]
"""


def test_partial_index_with_in_predicate_provisions_and_checks_clean(fleet, history):
    # PostgreSQL prints `title IN (...)` back as `= ANY ((ARRAY[...])::text[])`, and that text,
    # replayed, as yet another spelling: only a semantic comparison passes.
    history.install({"0006_release_index": PARTIAL_INDEX})
    history.slugs.append("partial-ix")
    template_get()  # builds and verifies the template of this history

    tenant = tenant_create(slug="partial-ix", name="Partial")
    migrated = fleet[0].schema_name
    history.schemas.append(migrated)
    migrate(executor="standard", schemas=[migrated])

    assert tenant.status == Tenant.Status.ACTIVE
    assert has_index(tenant.schema_name, "task_release_due_idx")
    assert "match template" in check_schemas(tenant.schema_name, migrated)
    reference_schema()
    assert_same_catalog(tenant.schema_name, migrated)


def test_check_schemas_still_reports_a_changed_partial_index(fleet, history):
    history.install({"0006_release_index": PARTIAL_INDEX})
    schema = fleet[1].schema_name
    history.schemas.append(schema)
    migrate(executor="standard", schemas=[schema])
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX "{schema}".task_release_due_idx')
        cursor.execute(
            f'CREATE INDEX task_release_due_idx ON "{schema}".tracker_task (due_date)'
            " WHERE title IN ('release', 'rollback')"
        )

    with pytest.raises(CommandError, match="1 of 1 tenant schema"):
        check_schemas(schema)


SEEDED_BY_SIGNAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [
        migrations.AddField("taskstatus", "is_blocking", models.BooleanField(default=False)),
    ]
"""


def seed_blocked_status(sender, app_config, using, apps, **kwargs):
    """A post_migrate handler like sites' default Site: a row every schema must have."""
    if app_config.label != "tracker":
        return
    status = apps.get_model("tracker", "TaskStatus")
    status.objects.using(using).get_or_create(
        slug="blocked", defaults={"name": "Blocked", "sort_order": 9, "is_blocking": True}
    )


@pytest.mark.parametrize("executor", LOCAL_EXECUTORS)
def test_post_migrate_rows_reach_template_and_migrated_tenants(fleet, history, executor):
    history.install({"0006_taskstatus_is_blocking": SEEDED_BY_SIGNAL})
    post_migrate.connect(seed_blocked_status, dispatch_uid="test-seed-blocked")
    try:
        targets = [tenant.schema_name for tenant in fleet[:3]]
        history.schemas += targets
        history.slugs.append("signalled")
        history.cleanup_sql += [
            f"DELETE FROM \"{schema}\".tracker_taskstatus WHERE slug = 'blocked'"
            for schema in targets
        ]
        migrate(executor=executor, workers=2, schemas=targets)
        tenant = tenant_create(slug="signalled", name="Signalled")
        reference = reference_schema()
    finally:
        post_migrate.disconnect(dispatch_uid="test-seed-blocked")

    expected = rows(reference, "tracker_taskstatus", "slug, is_blocking")
    assert ("blocked", True) in expected
    for schema in [*targets, tenant.schema_name]:
        assert rows(schema, "tracker_taskstatus", "slug, is_blocking") == expected, schema


UNIQUE_CODE = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [
        migrations.CreateModel(
            "Checklist",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("code", models.CharField(max_length=20)),
                ("title", models.CharField(max_length=20)),
            ],
            options={"unique_together": {("code", "title")}},
        ),
    ]
"""

CODE_NOT_UNIQUE = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0006_checklist")]
    operations = [migrations.AlterUniqueTogether("checklist", set())]
"""


@pytest.mark.parametrize("executor", LOCAL_EXECUTORS)
def test_catalog_reading_operation_on_a_table_the_plan_creates(fleet, history, executor):
    # Rendering the AlterUniqueTogether looks up the constraint's name, and raises when there is
    # not exactly one: the sample tenant has no tracker_checklist yet (0006 makes it).
    history.install({"0006_checklist": UNIQUE_CODE, "0007_checklist_code": CODE_NOT_UNIQUE})
    targets = [tenant.schema_name for tenant in fleet[:3]]
    history.schemas += targets

    migrate(executor=executor, workers=2, schemas=targets)

    assert MigrationRun.objects.first().status == MigrationRun.Status.DONE
    for schema in targets:
        assert ("tracker", "0007_checklist_code") in applied(schema)
    reference_schema()
    assert_same_catalog(*targets)


NON_ATOMIC_LIVE = """
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY task_title_lower_idx ON tracker_task (lower(title))",
            "DROP INDEX CONCURRENTLY task_title_lower_idx",
        ),
        migrations.AddField("task", "estimate", models.PositiveIntegerField(null=True)),
    ]
"""


@pytest.mark.parametrize("executor", LOCAL_EXECUTORS)
def test_non_atomic_migration_stays_in_the_tenant_schema(fleet, history, executor):
    history.install({"0006_task_estimate": NON_ATOMIC_LIVE})
    targets = [tenant.schema_name for tenant in fleet[:2]]
    history.schemas += targets

    migrate(executor=executor, workers=2, schemas=targets)

    for schema in targets:
        assert has_index(schema, "task_title_lower_idx")
        assert has_column(schema, "tracker_task", "estimate")
        assert ("tracker", "0006_task_estimate") in applied(schema)
    assert not has_column("public", "tracker_task", "estimate")
    reference_schema()
    assert_same_catalog(*targets)

    migrate("tracker", "0005", executor=executor, schemas=targets)
    for schema in targets:
        assert not has_column(schema, "tracker_task", "estimate")
        assert not has_index(schema, "task_title_lower_idx")


FALLBACK_STATUS = """
from django.db import connection, migrations, models


def todo_status_id():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tracker_taskstatus WHERE slug = 'todo'")
        row = cursor.fetchone()
    return row[0] if row else None


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_task_created_at_index")]
    operations = [
        migrations.AddField(
            "task",
            "fallback_status",
            models.ForeignKey(
                "tracker.TaskStatus",
                null=True,
                on_delete=models.SET_NULL,
                related_name="+",
                default=todo_status_id,
            ),
        ),
    ]
"""


@pytest.mark.parametrize("executor", LOCAL_EXECUTORS)
def test_live_operation_deferred_sql_runs_once(fleet, history, executor):
    # The default is read from each tenant's rows, so the AddField runs live per tenant; its
    # index and foreign key (deferred SQL) must not also be replayed from the rendering.
    history.install({"0006_task_fallback_status": FALLBACK_STATUS})
    targets = [tenant.schema_name for tenant in fleet[:2]]
    history.schemas += targets

    migrate(executor=executor, workers=2, schemas=targets)

    assert MigrationRun.objects.first().status == MigrationRun.Status.DONE
    for schema in targets:
        assert has_column(schema, "tracker_task", "fallback_status_id")
    reference_schema()
    assert_same_catalog(*targets)


SQUASH = """
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("tracker", "0004_task_priority_range"), ("tracker", "0005_task_created_at_index")]
    dependencies = [("projects", "0001_initial"), ("tracker", "0003_task_closed_at")]
    operations = [
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("priority__gte", 1), ("priority__lte", 4)),
                name="task_priority_range",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["-created_at"], name="task_created_at_idx"),
        ),
    ]
"""
SQUASH_KEY = ("tracker", "0004_squashed_0005")
REPLACED = {("tracker", "0004_task_priority_range"), ("tracker", "0005_task_created_at_index")}


@pytest.mark.parametrize("executor", LOCAL_EXECUTORS)
def test_squash_reconciled_across_a_mixed_fleet(fleet, history, executor):
    complete, partial, before = (tenant.schema_name for tenant in fleet[:3])
    migrate("tracker", "0004", executor="standard", schemas=[partial])
    migrate("tracker", "0003", executor="standard", schemas=[before])
    history.install({"0004_squashed_0005": SQUASH})
    history.cleanup_sql += [
        f"DELETE FROM \"{schema}\".django_migrations WHERE name = '{SQUASH_KEY[1]}'"
        for schema in (complete, partial, before)
    ]

    migrate(executor=executor, workers=2, schemas=[complete, partial, before])

    assert MigrationRun.objects.first().status == MigrationRun.Status.DONE
    for schema in (complete, partial, before):
        assert {SQUASH_KEY, *REPLACED} <= applied(schema), schema
        assert has_constraint(schema, "task_priority_range")
        assert has_index(schema, "task_created_at_idx")
    reference_schema()
    assert {SQUASH_KEY, *REPLACED} <= applied(REFERENCE)
    assert_same_catalog(complete, partial, before)


def test_tenant_app_listed_by_app_config_path_gets_its_tables(fleet, settings):
    settings.TENANT_APPS = [
        "tenant_apps.tracker.apps.TrackerConfig" if app == "tenant_apps.tracker" else app
        for app in settings.TENANT_APPS
    ]
    schema = fleet[0].schema_name
    try:
        migrate("tracker", "0002", executor="standard", schemas=[schema])
        assert not has_column(schema, "tracker_task", "closed_at")
        migrate(executor="standard", schemas=[schema])
        assert has_column(schema, "tracker_task", "closed_at")
        assert has_constraint(schema, "task_priority_range")
    finally:
        migrate(executor="standard", schemas=[schema])
