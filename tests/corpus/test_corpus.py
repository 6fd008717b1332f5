"""Real-world histories: template tenants and fleet-migrated tenants end where Django's `migrate`
ends on one schema, catalog and rows, with filer (a squash whose replaced files still ship,
RunPython, swappable FKs to the user model, contenttypes), constance (a non-atomic RunPython),
axes (ten migrations, rolled back and forward) and contenttypes/auth/sites (post_migrate rows).

Run with `pytest -m corpus --ds tests.corpus.settings tests/corpus` (`make test` does).
"""

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from shared_apps.migrator.models import MigrationRun
from shared_apps.tenants.catalog import catalog_diff, schema_catalogs
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.provisioning import create_schema_if_missing, schema_drop
from shared_apps.tenants.services import tenant_create
from shared_apps.tenants.validation import schema_name_for_slug

# available_apps (every app): the flush after each test truncates with CASCADE, as tenant
# tables of these apps (filer's) hold foreign keys to the public user table.
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.django_db(transaction=True, available_apps=django_settings.INSTALLED_APPS),
]

SQUASH = ("filer", "0001_squashed_0016_alter_folder_index_together_remove_folder_level_and_more")

EXTRA_QUERIES = {
    "sequence values": """
        SELECT c.relname, format('SELECT %%L, last_value, is_called FROM %%I.%%I',
                                 c.relname, n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'S'""",
    "triggers": """
        SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND NOT t.tgisinternal""",
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s""",
}


def django_migrate(schema: str, *target: str) -> None:
    """Django's own `migrate` on one schema (django-tenants' per-schema command)."""
    create_schema_if_missing(schema)
    try:
        call_command(
            MigrateSchemasCommand(), *target, schema_name=schema, interactive=False, verbosity=0
        )
    finally:
        connection.set_schema_to_public()


def empty_tenant(slug: str) -> Tenant:
    """An active tenant whose schema has an empty history: the engine migrates it from zero."""
    schema = schema_name_for_slug(slug)
    create_schema_if_missing(schema)
    connection.set_schema(schema, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    connection.set_schema_to_public()
    return Tenant.objects.create(
        slug=slug, name=slug, schema_name=schema, status=Tenant.Status.ACTIVE
    )


def fleet_migrate(*args, **options) -> None:
    options.setdefault("verbosity", 0)
    call_command("migrate_schemas", "--tenant", *args, **options)


def extras(schema: str) -> dict[str, dict[str, str]]:
    """Sequence values, triggers and functions: what the shared catalog does not cover."""
    found: dict[str, dict[str, str]] = {}
    with connection.cursor() as cursor:
        for section, query in EXTRA_QUERIES.items():
            cursor.execute(query, [schema])
            found[section] = dict(cursor.fetchall())
        values = {}
        for name, select in found.pop("sequence values").items():
            cursor.execute(select)
            values[name] = str(cursor.fetchone()[1:])
    found = {s: {n: d.replace(f"{schema}.", "") for n, d in f.items()} for s, f in found.items()}
    return {**found, "sequence values": values}


def table_rows(schema: str) -> dict[str, list[dict]]:
    """Every table's rows (django_migrations as app and name only: its ids are insert order)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
            [schema],
        )
        tables = [row[0] for row in cursor.fetchall()]
        found = {}
        for table in tables:
            columns = "app, name" if table == "django_migrations" else "*"
            cursor.execute(
                f'SELECT to_jsonb(t)::text FROM (SELECT {columns} FROM "{schema}"."{table}") t'
            )
            found[table] = [json.loads(row[0]) for row in cursor.fetchall()]
    return found


class References:
    """Schemas built by Django's `migrate`, and the columns two such runs disagree on."""

    def __init__(self) -> None:
        self.mask: set[tuple[str, str]] = set()

    def calibrate(self, first: str, second: str) -> None:
        """Mask only the values that differ between two runs of Django itself (timestamps)."""
        one, two = table_rows(first), table_rows(second)
        assert one.keys() == two.keys()
        for table, records in one.items():
            for column in {column for record in records for column in record}:
                values = sorted(json.dumps(record.get(column)) for record in records)
                if values != sorted(json.dumps(record.get(column)) for record in two[table]):
                    self.mask.add((table, column))

    def rows(self, schema: str) -> dict[str, list[str]]:
        return {
            table: sorted(
                json.dumps({c: v for c, v in record.items() if (table, c) not in self.mask})
                for record in records
            )
            for table, records in table_rows(schema).items()
        }

    def assert_same(self, reference: str, *schemas: str) -> None:
        catalogs = schema_catalogs([reference, *schemas])
        expected_rows, expected_extras = self.rows(reference), extras(reference)
        for schema in schemas:
            assert catalog_diff(catalogs[reference], catalogs[schema]) == [], schema
            assert extras(schema) == expected_extras, schema
            assert self.rows(schema) == expected_rows, schema


@pytest.fixture(scope="module")
def corpus_worker(django_db_blocker):
    """A Celery worker process running these settings (the corpus apps)."""
    from tests.celery_worker import WorkerProcess

    worker = WorkerProcess(extra_env={"DJANGO_SETTINGS_MODULE": "tests.corpus.settings"})
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def schemas_made(db):
    made: list[str] = []
    yield made
    connection.set_schema_to_public()
    for schema in made:
        schema_drop(schema_name=schema)


@pytest.fixture
def references(schemas_made) -> References:
    refs = References()
    schemas_made += ["corpus_ref_a", "corpus_ref_b"]
    django_migrate("corpus_ref_a")
    django_migrate("corpus_ref_b")
    refs.calibrate("corpus_ref_a", "corpus_ref_b")
    return refs


def test_corpus_apps_cover_what_the_issue_asks():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    squash = loader.disk_migrations[SQUASH]
    assert all(key in loader.disk_migrations for key in squash.replaces)  # replaced files ship
    assert not loader.disk_migrations[("constance", "0002_migrate_from_old_table")].atomic
    assert len([key for key in loader.disk_migrations if key[0] == "axes"]) >= 10
    tenant_apps = set(django_settings.TENANT_APPS)
    assert {"django.contrib.contenttypes", "django.contrib.sites"} <= tenant_apps


def test_template_and_every_executor_from_zero_match_django(
    references, schemas_made, corpus_worker
):
    template_tenant = tenant_create(slug="corpus-tpl", name="Corpus template")
    schemas_made.append(template_tenant.schema_name)
    fresh = {executor: empty_tenant(f"corpus-{executor}") for executor in ("standard", "parallel")}
    fresh["celery"] = empty_tenant("corpus-celery")
    schemas_made += [tenant.schema_name for tenant in fresh.values()]

    for executor, tenant in fresh.items():
        fleet_migrate(executor=executor, workers=2, schemas=[tenant.schema_name])
        assert MigrationRun.objects.first().status == MigrationRun.Status.DONE, executor

    with connection.cursor() as cursor:  # post_migrate rows are there, not only the tables
        cursor.execute(f'SELECT domain FROM "{fresh["parallel"].schema_name}".django_site')
        assert cursor.fetchall() == [("example.com",)]
    references.assert_same(
        "corpus_ref_a", template_tenant.schema_name, *[t.schema_name for t in fresh.values()]
    )


def presquash_modules(tmp_path, monkeypatch) -> dict[str, str]:
    """filer's migrations as they shipped before the squash existed."""
    import filer.migrations

    package = tmp_path / "filer_presquash"
    shutil.copytree(
        Path(filer.migrations.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__", "0001_squashed_*"),
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return {"filer": "filer_presquash"}


def test_mixed_fleet_stopped_at_several_points_matches_django(
    references, schemas_made, tmp_path, monkeypatch, settings
):
    tenants = {name: empty_tenant(f"corpus-{name}") for name in ("partial", "replaced", "axes")}
    twins = {name: f"corpus_twin_{name}" for name in tenants}
    schemas_made += [t.schema_name for t in tenants.values()] + list(twins.values())
    before_squash = presquash_modules(tmp_path, monkeypatch)
    steps = {
        "partial": [(before_squash, ("filer", "0005"))],  # some replaced migrations applied
        "replaced": [(before_squash, ()), (before_squash, ("axes", "0004"))],  # all of them
        "axes": [({}, ("axes", "0005")), ({}, ("constance", "0001"))],
    }
    for name, tenant in tenants.items():
        for modules, target in steps[name]:
            settings.MIGRATION_MODULES = modules
            for schema in (tenant.schema_name, twins[name]):
                django_migrate(schema, *target)
    settings.MIGRATION_MODULES = {}

    fleet_migrate(executor="parallel", workers=2, schemas=[t.schema_name for t in tenants.values()])
    for twin in twins.values():
        django_migrate(twin)

    assert MigrationRun.objects.first().status == MigrationRun.Status.DONE
    for name, tenant in tenants.items():
        references.assert_same(twins[name], tenant.schema_name)
    assert SQUASH in recorded(tenants["partial"].schema_name)
    assert SQUASH in recorded(tenants["replaced"].schema_name)


def recorded(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def test_rollback_of_a_long_app_and_forward_again_matches_django(references, schemas_made):
    tenant = tenant_create(slug="corpus-back", name="Corpus rollback")
    schemas_made.append(tenant.schema_name)
    twin = "corpus_ref_a"  # already at the latest, by Django

    fleet_migrate("axes", "0002", executor="parallel", schemas=[tenant.schema_name])
    django_migrate(twin, "axes", "0002")
    references.assert_same(twin, tenant.schema_name)

    fleet_migrate(executor="parallel", schemas=[tenant.schema_name])
    django_migrate(twin)
    references.assert_same(twin, tenant.schema_name)
