"""Create and drop tenant schemas."""

from django.core.management import call_command
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand


def schema_build(*, schema_name: str) -> None:
    """Create the schema if missing and bring it to the current migrations; drop it on failure."""
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


def create_schema_if_missing(schema_name: str) -> bool:
    """Create `schema_name`; return False when it already existed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema_name])
        if cursor.fetchone():
            return False
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    return True


def schema_drop(*, schema_name: str) -> None:
    """Drop the schema and everything in it (no-op when absent)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema_name)} CASCADE")
