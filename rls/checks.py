"""Prove the database isolates tenants: RLS on every tenant-scoped table, a safe serving role.

Shared by the `rls_check` command (always strict) and the database-tagged system check
(`manage.py check --database default`, and `migrate`), where a superuser serving role is only a
warning under DEBUG so that `make run` and the tests, which serve as the superuser, still start.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from config.database import database_config, libpq_params
from rls.policies import EXEMPT, POLICIES

FIX_TABLE = (
    "Declare the table in rls/policies.py and add a migration with "
    "rls.operations.ApplyRowLevelSecurity(table=...)."
)
FIX_ROLE = (
    "Run `manage.py setup_db_roles` (as the owner) and set DATABASE_URL to the application "
    "role it manages; keep the owner or superuser in DATABASE_OWNER_URL only."
)

TABLES_SQL = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND (c.relname = ANY(%s) OR EXISTS (
        SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
        AND a.attnum > 0 AND NOT a.attisdropped))
ORDER BY c.relname
"""
ROLE_SQL = "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
OWNED_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND pg_has_role(current_user, c.relowner, 'MEMBER')
ORDER BY c.relname
"""


@dataclass(frozen=True)
class TableState:
    """What the catalog says about one tenant-scoped public table."""

    name: str
    enabled: bool
    forced: bool
    policies: int

    @property
    def problems(self) -> list[str]:
        """Return what is missing for the table to be isolated."""
        missing = [("RLS not enabled", self.enabled), ("RLS not forced", self.forced)]
        missing.append(("no policy", self.policies > 0))
        return [text for text, ok in missing if not ok]


@dataclass(frozen=True)
class Finding:
    """One problem: `error` fails the check, `warning` only reports."""

    level: str
    id: str
    message: str
    hint: str


def table_states(cursor: psycopg.Cursor) -> list[TableState]:
    """Return every public table with a tenant_id column or an RLS declaration."""
    cursor.execute(TABLES_SQL, [list(POLICIES)])
    return [TableState(*row) for row in cursor.fetchall() if row[0] not in EXEMPT]


def table_findings(states: list[TableState]) -> list[Finding]:
    """Return an error for each table that RLS does not fully protect."""
    return [
        Finding("error", "rls.E001", f"{state.name}: {', '.join(state.problems)}.", FIX_TABLE)
        for state in states
        if state.problems
    ]


def role_findings(cursor: psycopg.Cursor, *, strict: bool) -> list[Finding]:
    """Return problems with the connected (serving) role: superuser, BYPASSRLS, table owner."""
    cursor.execute(ROLE_SQL)
    role, superuser, bypassrls = cursor.fetchone() or (None, False, False)
    cursor.execute(OWNED_SQL)
    owned = [row[0] for row in cursor.fetchall()]
    level = "error" if strict else "warning"
    found = []
    if superuser:
        found.append(
            Finding(level, "rls.E002", f"The serving role {role} is a superuser.", FIX_ROLE)
        )
    elif bypassrls:
        found.append(
            Finding(level, "rls.E003", f"The serving role {role} has BYPASSRLS.", FIX_ROLE)
        )
    if owned and not superuser:
        names = ", ".join(owned[:5]) + (" …" if len(owned) > 5 else "")
        message = f"The serving role {role} owns {len(owned)} public tables ({names})."
        found.append(Finding(level, "rls.E004", message, FIX_ROLE))
    if not superuser and not bypassrls:  # what grants allow matters only under RLS
        from django_tenants.utils import get_tenant_model

        from rls.grant_checks import grant_findings

        table = get_tenant_model()._meta.db_table
        found += grant_findings(cursor, level=level, tenant_table=table)
    return found


@contextlib.contextmanager
def serving_cursor() -> Iterator[psycopg.Cursor]:
    """Yield a cursor connected as the serving role: DATABASE_URL, as web and workers use it."""
    params = libpq_params(database_config(settings.DATABASE_URL))
    with (
        psycopg.connect(**params, connect_timeout=5, autocommit=True) as conn,
        conn.cursor() as cursor,
    ):
        yield cursor


def shared_migrations_pending(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Return whether public-schema (shared app) migrations are still to be applied."""
    from django.db.migrations.executor import MigrationExecutor

    labels = {
        config.label for config in apps.get_app_configs() if config.name in settings.SHARED_APPS
    }
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return any(migration.app_label in labels for migration, _ in plan)


def rls_system_check(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Check RLS and the serving role (database-tagged: runs only when a database is named)."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if getattr(connection, "schema_name", "public") != "public":
        return []  # a per-tenant `migrate` run: the public tables were checked already
    try:
        if shared_migrations_pending():
            return [
                checks.Warning("Migrations are pending; RLS is checked after them.", id="rls.W010")
            ]
        with serving_cursor() as cursor:
            found = table_findings(table_states(cursor)) + role_findings(
                cursor, strict=not settings.DEBUG
            )
    except (psycopg.OperationalError, OperationalError) as exc:
        message = f"Cannot connect as the serving role (DATABASE_URL): {exc}".strip()
        return [checks.Warning(message, hint=FIX_ROLE, id="rls.W000")]
    levels = {"error": checks.Error, "warning": checks.Warning}
    return [
        levels[f.level](
            f.message, hint=f.hint, id=f.id if f.level == "error" else f.id.replace(".E", ".W")
        )
        for f in found
    ]
