"""The database really holds the 26 tables and the declared indexes (read from pg_catalog)."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db

SHARED_TABLES = {
    "tenants_tenant",
    "tenants_domain",
    "accounts_user",
    "accounts_membership",
    "accounts_apitoken",
    "accounts_invitation",
    "migrator_migrationrun",
    "migrator_tenantmigration",
    "audit_auditevent",
}


def tenant_app_tables() -> set[str]:
    labels = {app.rsplit(".", 1)[1] for app in settings.TENANT_APPS}
    return {
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in labels and not model._meta.auto_created
    }


def tables_in(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r'",
            [schema],
        )
        return {row[0] for row in cursor.fetchall()}


def indexes_in(schema: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", [schema])
        return dict(cursor.fetchall())


def test_there_are_17_tenant_models():
    assert len(tenant_app_tables()) == 17


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_every_tenant_schema_has_all_tenant_tables(slug):
    from shared_apps.tenants.models import Tenant

    schema = Tenant.objects.get(slug=slug).schema_name
    assert tenant_app_tables() <= tables_in(schema)


def test_public_schema_has_the_9_shared_tables_and_no_tenant_table():
    public = tables_in("public")
    assert public >= SHARED_TABLES
    assert not (tenant_app_tables() & public)


def test_tenant_schema_has_declared_indexes(acme):
    indexes = indexes_in(acme.schema_name)
    assert "(status_id, assigned_to)" in indexes["task_status_assignee_idx"]
    assert "(due_date)" in indexes["task_due_date_idx"]
    for model in apps.get_models():
        for index in model._meta.indexes:
            if model._meta.db_table in tenant_app_tables():
                assert index.name in indexes, f"{model.__name__}.{index.name} missing"


def test_tenant_schema_has_declared_unique_constraints(acme):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = %s",
            [acme.schema_name],
        )
        names = {row[0] for row in cursor.fetchall()}
    for expected in (
        "tasklabel_unique_task_label",
        "sessionevent_unique_seq",
        "teammember_unique_user",
        "snippet_has_document_or_session",
    ):
        assert expected in names
