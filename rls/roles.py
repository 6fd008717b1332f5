"""The application role: who it is, and the changes that give it exactly the grants it needs.

`role_changes()` compares the catalog with what the role needs and returns only what differs,
so `setup_db_roles` is idempotent: a second run finds nothing to change.
"""

from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper

from config.database import database_config, libpq_params
from rls.sql import quote

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")
# pg_roles column → (keyword when true, keyword when false, wanted value)
ROLE_ATTRIBUTES = {
    "rolcanlogin": ("LOGIN", "NOLOGIN", True),
    "rolsuper": ("SUPERUSER", "NOSUPERUSER", False),
    "rolbypassrls": ("BYPASSRLS", "NOBYPASSRLS", False),
    "rolcreatedb": ("CREATEDB", "NOCREATEDB", False),
    "rolcreaterole": ("CREATEROLE", "NOCREATEROLE", False),
}


@dataclass(frozen=True)
class AppRole:
    """The application role's name and password ('' when none is configured)."""

    name: str
    password: str


@dataclass(frozen=True)
class Change:
    """One statement to run, and what it does in words (never showing a password)."""

    description: str
    sql: str


def app_role() -> AppRole:
    """Return the application role: DATABASE_URL's user, or APP_DB_ROLE when that is the owner."""
    app = database_config(settings.DATABASE_URL)
    owner = database_config(settings.DATABASE_OWNER_URL)
    if app.get("USER") and app["USER"] != owner.get("USER"):
        return AppRole(app["USER"], app.get("PASSWORD") or "")
    return AppRole(settings.APP_DB_ROLE, settings.APP_DB_PASSWORD)


def grant_schema_to_app_role(schema_name: str, cursor: CursorWrapper) -> bool:
    """Grant the application role USAGE on a new schema; False while the role does not exist.

    Default privileges cannot cover schemas created later, so whoever creates a tenant schema
    calls this right after `CREATE SCHEMA` (tables in it are covered by default privileges).
    """
    role = app_role().name
    cursor.execute("SELECT to_regrole(%s) IS NOT NULL", [role])
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema_name)} TO {quote(role)}")
    return True


def role_changes(cursor: CursorWrapper, role: AppRole, *, tenant_table: str) -> list[Change]:
    """Return every change the role needs in this database, in the order to apply them."""
    cursor.execute(
        f"SELECT {', '.join(ROLE_ATTRIBUTES)} FROM pg_roles WHERE rolname = %s", [role.name]
    )
    row = cursor.fetchone()
    changes = attribute_changes(role, row)
    # A missing or superuser role shows every privilege as present or absent wrongly: grant all.
    fresh = row is None or row[1]
    schemas = schemas_to_serve(cursor, tenant_table)
    changes += database_changes(cursor, role, fresh)
    for schema in schemas:
        changes += schema_changes(cursor, role, schema, fresh)
    changes += default_privilege_changes(cursor, role, fresh)
    return changes


def attribute_changes(role: AppRole, row: tuple | None) -> list[Change]:
    """Return the CREATE ROLE, or the ALTER ROLE that fixes its attributes."""
    name = quote(role.name)
    password = f" PASSWORD {literal(role.password)}" if role.password else ""
    if row is None:
        keywords = " ".join(yes if wanted else no for yes, no, wanted in ROLE_ATTRIBUTES.values())
        return [
            Change(
                f"create role {role.name} ({keywords})", f"CREATE ROLE {name} {keywords}{password}"
            )
        ]
    wrong = [
        yes if wanted else no
        for (yes, no, wanted), actual in zip(ROLE_ATTRIBUTES.values(), row, strict=True)
        if actual != wanted
    ]
    changes = []
    if wrong:
        changes.append(
            Change(
                f"alter role {role.name}: {' '.join(wrong)}", f"ALTER ROLE {name} {' '.join(wrong)}"
            )
        )
    if role.password and not can_log_in(role):
        changes.append(
            Change(f"set the password of role {role.name}", f"ALTER ROLE {name}{password}")
        )
    return changes


def schemas_to_serve(cursor: CursorWrapper, tenant_table: str) -> list[str]:
    """Return public and every existing tenant schema (Tenant rows and any `t_` schema)."""
    cursor.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = 'public' OR nspname LIKE 't\\_%%'"
        f" OR nspname IN (SELECT schema_name FROM public.{quote(tenant_table)}) ORDER BY nspname"
    )
    return [row[0] for row in cursor.fetchall()]


def database_changes(cursor: CursorWrapper, role: AppRole, fresh: bool) -> list[Change]:
    """Return the GRANT CONNECT when the database's ACL does not name the role."""
    # The explicit ACL, not has_database_privilege: PUBLIC's default CONNECT would hide a
    # missing grant that a hardened database (REVOKE ... FROM PUBLIC) needs.
    cursor.execute(
        "SELECT current_database(), EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a"
        " WHERE d.datname = current_database() AND a.grantee = to_regrole(%s)"
        " AND a.privilege_type = 'CONNECT')",
        [role.name],
    )
    database, granted = cursor.fetchone()
    if granted and not fresh:
        return []
    sql = f"GRANT CONNECT ON DATABASE {quote(database)} TO {quote(role.name)}"
    return [Change(f"grant CONNECT on database {database}", sql)]


def schema_changes(cursor: CursorWrapper, role: AppRole, schema: str, fresh: bool) -> list[Change]:
    """Return the USAGE, table and sequence grants the role lacks in `schema`."""
    usage, tables, sequences = False, 1, 1
    if not fresh:
        cursor.execute(SCHEMA_STATE_SQL, {"role": role.name, "schema": schema})
        usage, tables, sequences = cursor.fetchone()
    grantee, target = quote(role.name), quote(schema)
    changes = []
    if not usage:
        changes.append(
            Change(
                f"grant USAGE on schema {schema}", f"GRANT USAGE ON SCHEMA {target} TO {grantee}"
            )
        )
    for count, label, privileges in (
        (tables, "TABLES", TABLE_PRIVILEGES),
        (sequences, "SEQUENCES", SEQUENCE_PRIVILEGES),
    ):
        if count:
            listed = ", ".join(privileges)
            sql = f"GRANT {listed} ON ALL {label} IN SCHEMA {target} TO {grantee}"
            changes.append(Change(f"grant {listed} on all {label.lower()} in {schema}", sql))
    return changes


SCHEMA_STATE_SQL = """
SELECT
  EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = %(schema)s
          AND a.grantee = to_regrole(%(role)s) AND a.privilege_type = 'USAGE'),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND NOT (has_table_privilege(to_regrole(%(role)s), c.oid, 'SELECT')
           AND has_table_privilege(to_regrole(%(role)s), c.oid, 'INSERT')
           AND has_table_privilege(to_regrole(%(role)s), c.oid, 'UPDATE')
           AND has_table_privilege(to_regrole(%(role)s), c.oid, 'DELETE'))),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind = 'S'
      AND NOT (has_sequence_privilege(to_regrole(%(role)s), c.oid, 'USAGE')
           AND has_sequence_privilege(to_regrole(%(role)s), c.oid, 'SELECT')))
"""


def default_privilege_changes(cursor: CursorWrapper, role: AppRole, fresh: bool) -> list[Change]:
    """Return the ALTER DEFAULT PRIVILEGES that cover tables/sequences the owner creates later."""
    cursor.execute(
        "SELECT current_user, d.defaclobjtype, a.privilege_type"
        " FROM pg_default_acl d, aclexplode(d.defaclacl) a"
        " WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        " AND d.defaclnamespace = 0 AND a.grantee = to_regrole(%s)",
        [role.name],
    )
    rows = cursor.fetchall()
    granted = set() if fresh else {(kind, privilege) for _, kind, privilege in rows}
    cursor.execute("SELECT current_user")
    owner = cursor.fetchone()[0]
    changes = []
    for kind, label, privileges in (
        ("r", "TABLES", TABLE_PRIVILEGES),
        ("S", "SEQUENCES", SEQUENCE_PRIVILEGES),
    ):
        if not all((kind, privilege) in granted for privilege in privileges):
            sql = (
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} GRANT {', '.join(privileges)}"
                f" ON {label} TO {quote(role.name)}"
            )
            changes.append(
                Change(f"default privileges: {label.lower()} {owner} creates later", sql)
            )
    return changes


def can_log_in(role: AppRole) -> bool:
    """Return whether the role's configured password is accepted by the server."""
    # The database being granted, as the owner reaches it, but as the role.
    params = libpq_params(connection.settings_dict, user=role.name, password=role.password)
    try:
        psycopg.connect(**params, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        return "password" not in str(exc)
    return True


def literal(value: str) -> str:
    """Quote an SQL string literal (for statements that take no bind parameters)."""
    return "'" + value.replace("'", "''") + "'"
