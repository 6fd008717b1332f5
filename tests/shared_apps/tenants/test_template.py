"""The template gives new tenants exactly the schema and seed rows that migrations give."""

import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from shared_apps.accounts.models import Membership
from shared_apps.tenants.catalog import catalog_diff, schema_catalogs
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.provisioning import (
    schema_build_by_migrations,
    schema_exists,
    schema_provision,
)
from shared_apps.tenants.services import tenant_create, tenant_provision, tenant_register
from shared_apps.tenants.template import TEMPLATE_SCHEMA, stored_key, template_get, template_key
from tests.shared_apps.tenants.helpers import drop_tenant_schemas, tenant_footprint

TIMESTAMPS = ("id", "created_at", "updated_at", "applied")


def tenant_tables() -> list[str]:
    labels = {app.rsplit(".", 1)[1] for app in settings.TENANT_APPS}
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in labels and not model._meta.auto_created
    )


def rows(schema: str) -> dict[str, list[str]]:
    """Every row of every tenant table (ids and timestamps aside) plus the applied migrations."""
    found = {}
    drop = " ".join(f"- '{column}'" for column in TIMESTAMPS)
    with connection.cursor() as cursor:
        for table in [*tenant_tables(), "django_migrations"]:
            cursor.execute(f'SELECT (to_jsonb(t) {drop})::text FROM "{schema}"."{table}" t')
            found[table] = sorted(row[0] for row in cursor.fetchall())
    return found


@pytest.mark.django_db
def test_template_schema_is_identical_to_running_every_migration():
    schema_build_by_migrations(schema_name="t_by_migrations")
    with transaction.atomic():
        assert schema_provision(schema_name="t_by_template")
    catalogs = schema_catalogs(["t_by_migrations", "t_by_template"])
    migrated, templated = catalogs["t_by_migrations"], catalogs["t_by_template"]

    assert catalog_diff(migrated, templated) == []
    assert set(tenant_tables()) <= set(templated["tables"])
    assert len(templated["indexes"]) > 40 and len(templated["constraints"]) > 40
    assert "task_status_assignee_idx" in templated["indexes"]
    assert "django_migrations.id" in templated["columns"]
    seeded = rows("t_by_template")
    assert seeded == rows("t_by_migrations")
    assert len(seeded["tracker_taskstatus"]) == 3
    assert len(seeded["teams_role"]) == 4
    assert len(seeded["django_migrations"]) > 20


@pytest.mark.django_db
def test_replayed_identity_sequence_continues_after_the_copied_rows():
    with transaction.atomic():
        schema_provision(schema_name="t_sequence")
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM t_sequence.django_migrations")
        (highest,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO t_sequence.django_migrations (app, name, applied)"
            " VALUES ('x', 'y', now()) RETURNING id"
        )
        assert cursor.fetchone()[0] == highest + 1


@pytest.mark.django_db
def test_template_keeps_its_key_on_the_schema():
    assert stored_key() == template_key() == template_get().key
    assert "tenant_template" not in template_get().pre_data  # no qualified names left
    assert "search_path" not in template_get().pre_data


@pytest.mark.django_db
def test_provisioning_twice_gives_one_schema_domain_membership(acme):
    tenant = tenant_register(slug="twice", name="Twice", owner_email="o@twice.test")
    tenant_provision(tenant=tenant, owner_email="o@twice.test")
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.FAILED)  # as if a retry
    tenant_provision(tenant=tenant, owner_email="o@twice.test")
    assert tenant_footprint("twice") == {"schemas": 1, "tenants": 1, "domains": 1, "memberships": 1}
    assert Tenant.objects.get(pk=tenant.pk).status == Tenant.Status.ACTIVE


@pytest.mark.django_db
def test_failure_rolls_the_schema_back_and_leaves_a_failed_tenant_with_its_reason(acme):
    tenant = tenant_register(slug="clash", name="Clash", owner_email="o@clash.test")
    # Someone routed the tenant's host elsewhere meanwhile: the domain insert fails at the end.
    Domain.objects.create(domain="clash.localhost", tenant=acme, is_primary=False)
    with pytest.raises(Exception, match="tenants_domain"):
        tenant_provision(tenant=tenant, owner_email="o@clash.test")
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.FAILED
    assert "IntegrityError" in tenant.status_reason
    assert "clash.localhost" in tenant.status_reason
    assert not schema_exists("t_clash")
    assert not Membership.objects.filter(tenant=tenant).exists()

    Domain.objects.filter(domain="clash.localhost", tenant=acme).delete()
    tenant_provision(tenant=tenant, owner_email="o@clash.test")
    assert tenant_footprint("clash") == {"schemas": 1, "tenants": 1, "domains": 1, "memberships": 1}


NEW_MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]
    operations = [
        migrations.AddField("webhook", "note", models.TextField(null=True, blank=True)),
        migrations.AddIndex(
            "webhook", models.Index(fields=["note"], name="webhook_note_idx")
        ),
    ]
"""


@pytest.mark.django_db(transaction=True)
def test_a_new_migration_rebuilds_the_template_and_the_next_tenant_has_it(
    tmp_path, monkeypatch, settings
):
    package = tmp_path / "refresh_integrations_migrations"
    source = Path(apps.get_app_config("integrations").path) / "migrations"
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "0099_webhook_note.py").write_text(NEW_MIGRATION)
    monkeypatch.syspath_prepend(str(tmp_path))
    old_key = template_key()
    settings.MIGRATION_MODULES = {"integrations": "refresh_integrations_migrations"}
    try:
        assert template_key() != old_key
        tenant = tenant_create(slug="refresh", name="Refresh", owner_email="o@refresh.test")
        assert stored_key() == template_key()
        catalog = schema_catalogs([tenant.schema_name, TEMPLATE_SCHEMA])[tenant.schema_name]
        assert catalog["columns"]["integrations_webhook.note"] == "text NULL"
        assert "webhook_note_idx" in catalog["indexes"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM t_refresh.django_migrations WHERE app = 'integrations'"
            )
            assert {row[0] for row in cursor.fetchall()} == {"0001_initial", "0099_webhook_note"}
    finally:
        drop_tenant_schemas("refresh")
        settings.MIGRATION_MODULES = {}
    # Back on the real code: the template follows it again, without the column.
    assert template_key() == old_key
    assert "note" not in template_get().pre_data
    assert stored_key() == old_key
