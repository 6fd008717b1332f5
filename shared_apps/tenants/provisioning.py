"""Create and drop tenant schemas: from the template (fast) or by running every migration."""

from django.core.management import call_command
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from rls.tenant_roles import schema_tenant_id, tenant_role_provision
from shared_apps.tenants.citus import citus_active, create_schema_sql
from shared_apps.tenants.template import TenantTemplate, template_get, template_replay


def schema_provision(*, schema_name: str, template: TenantTemplate | None = None) -> bool:
    """Create `schema_name` from the template inside the caller's transaction.

    Returns False (and changes nothing) when the schema already exists. Call it inside
    `transaction.atomic()`: a failure then rolls the schema back entirely.
    """
    template = template or template_get()
    if not create_schema_if_missing(schema_name):
        return False
    template_replay(template, schema_name)
    return True


def schema_build_by_migrations(*, schema_name: str) -> None:
    """Create the schema if missing and run every migration in it (slow; the reference path).

    This is what django-tenants does per tenant; provisioning uses the template instead, and
    tests use this to prove both give the same catalog.
    """
    created = create_schema_if_missing(schema_name)
    try:
        call_command(
            MigrateSchemasCommand(), schema_name=schema_name, interactive=False, verbosity=0
        )
    except Exception:
        if created:
            schema_drop(schema_name=schema_name)
        raise
    finally:
        connection.set_schema_to_public()


def schema_exists(schema_name: str) -> bool:
    """Return whether PostgreSQL has a schema of that exact name."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema_name])
        return cursor.fetchone() is not None


def create_schema_if_missing(schema_name: str) -> bool:
    """Create `schema_name`; return False when it already existed."""
    if schema_exists(schema_name):
        return False
    quoted = connection.ops.quote_name(schema_name)
    statement = f"CREATE SCHEMA {quoted}"
    if citus_active():
        statement = create_schema_sql(quoted)  # a distributed schema, placed on a worker
    with connection.cursor() as cursor:
        cursor.execute(statement)
        # Only the tenant's own role may reach the schema (none for the template's).
        tenant_id = schema_tenant_id(schema_name, cursor)
        if tenant_id is not None:
            tenant_role_provision(
                tenant_id=tenant_id, schema_name=schema_name, cursor=cursor, empty=True
            )
    return True


def schema_drop(*, schema_name: str) -> None:
    """Drop the schema and everything in it (no-op when absent)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema_name)} CASCADE")
