"""The migration operation that applies a table's declared RLS policies, reversibly."""

from typing import Any

from django.db import router
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation

from rls.policies import policy_for
from rls.sql import EXISTING_POLICIES_SQL, disable_sql, enable_sql

PUBLIC_SCHEMA = "public"


class ApplyRowLevelSecurity(Operation):
    """Enable and force RLS on `table` with exactly the policies declared in `rls.policies`.

    Runs only in the public schema: django-tenants runs shared-app migrations there and
    records them (without running them) in tenant schemas, where these tables do not exist.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str) -> None:
        """Apply the policies declared for `table`."""
        self.table = table

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Change nothing: RLS lives in the database only, not in Django's model state."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        """Replace the table's policies with the declared ones and force RLS."""
        if self._applies(app_label, schema_editor):
            declaration = policy_for(self.table)
            for sql in enable_sql(declaration, self._existing(schema_editor)):
                schema_editor.execute(sql)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        """Drop the table's policies and turn RLS off."""
        if self._applies(app_label, schema_editor):
            for sql in disable_sql(self.table, self._existing(schema_editor)):
                schema_editor.execute(sql)

    def describe(self) -> str:
        """Describe the operation for `migrate --plan` and `showmigrations`."""
        return f"Apply row-level security policies to {self.table}"

    @property
    def migration_name_fragment(self) -> str:
        """Name migrations made of this operation after the table."""
        return f"rls_{self.table}"

    def _applies(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor) -> bool:
        """Return whether this connection runs shared-app DDL (the public schema)."""
        connection = schema_editor.connection
        in_public = getattr(connection, "schema_name", PUBLIC_SCHEMA) == PUBLIC_SCHEMA
        return in_public and router.allow_migrate(connection.alias, app_label)

    def _existing(self, schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        """Return the names of the policies the table has now."""
        if schema_editor.collect_sql:  # sqlmigrate: no catalog to read, drop nothing
            return []
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(EXISTING_POLICIES_SQL, [self.table])
            return [row[0] for row in cursor.fetchall()]


class ReapplyRowLevelSecurity(ApplyRowLevelSecurity):
    """Replace an already protected table's policies with the ones declared now.

    Backwards keeps RLS on: the earlier migration that enabled it applies the same declarations
    from the same code, so there is no older set of policies to go back to.
    """

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        """Leave the table's policies and RLS as they are."""

    def describe(self) -> str:
        """Describe the operation for `migrate --plan` and `showmigrations`."""
        return f"Re-apply row-level security policies to {self.table}"
