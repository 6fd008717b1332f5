"""The application role: who it is, and the changes that give it exactly the grants it needs.

`role_changes()` compares the catalog with what the roles need (the application role, the
tenant roles of `rls.tenant_roles`, the database-wide revocations of `rls.hardening`) and returns
only what differs, so `setup_db_roles` is idempotent: a second run finds nothing to change.
"""

from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper

from config.database import database_config, libpq_params
from rls.sql import Change, quote
from rls.tenant_roles import SEQUENCE_PRIVILEGES, TABLE_PRIVILEGES

# pg_roles column → (keyword when true, keyword when false, wanted value)
ROLE_ATTRIBUTES = {
    "rolcanlogin": ("LOGIN", "NOLOGIN", True),
    "rolsuper": ("SUPERUSER", "NOSUPERUSER", False),
    "rolbypassrls": ("BYPASSRLS", "NOBYPASSRLS", False),
    "rolcreatedb": ("CREATEDB", "NOCREATEDB", False),
    "rolcreaterole": ("CREATEROLE", "NOCREATEROLE", False),
    # NOINHERIT: a member of every tenant's role, to SET ROLE into it, holding none of their
    # privileges outside the transaction that entered one.
    "rolinherit": ("INHERIT", "NOINHERIT", False),
}


@dataclass(frozen=True)
class AppRole:
    """The application role's name and password ('' when none is configured)."""

    name: str
    password: str


def app_role() -> AppRole:
    """Return the application role: DATABASE_URL's user, or APP_DB_ROLE when that is the owner."""
    app = database_config(settings.DATABASE_URL)
    owner = database_config(settings.DATABASE_OWNER_URL)
    if app.get("USER") and app["USER"] != owner.get("USER"):
        return AppRole(app["USER"], app.get("PASSWORD") or "")
    return AppRole(settings.APP_DB_ROLE, settings.APP_DB_PASSWORD)


def role_changes(cursor: CursorWrapper, role: AppRole, *, tenant_table: str) -> list[Change]:
    """Return every change the roles need in this database, in the order to apply them."""
    from rls import hardening, tenant_roles

    cursor.execute(
        f"SELECT {', '.join(ROLE_ATTRIBUTES)} FROM pg_roles WHERE rolname = %s", [role.name]
    )
    row = cursor.fetchone()
    changes = attribute_changes(role, row)
    # A missing or superuser role shows every privilege as present or absent wrongly: grant all.
    fresh = row is None or row[1]
    cursor.execute("SELECT current_user")
    owner = cursor.fetchone()[0]
    prefix = tenant_roles.role_prefix()
    group = tenant_roles.group_role_name(prefix)
    support, group_fresh = tenant_roles.support_role_changes(cursor, role.name, prefix)
    changes += support
    changes += database_changes(cursor, role, fresh)
    for grantee, new in ((role.name, fresh), (group, group_fresh)):
        public = schema_changes(cursor, grantee, "public", new)
        changes += public
        changes += hardening.narrow_changes(cursor, grantee, widened=new or bool(public))
        changes += default_privilege_changes(cursor, grantee, owner, new)
    changes += hardening.stray_grant_changes(cursor, role.name, owner)
    changes += hardening.database_hardening_changes(cursor, owner)
    changes += tenant_roles.tenant_role_changes(
        cursor, role.name, owner=owner, prefix=prefix, tenant_table=tenant_table
    )
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


def schema_changes(cursor: CursorWrapper, role: str, schema: str, fresh: bool) -> list[Change]:
    """Return the USAGE, table and sequence grants `role` lacks in `schema`."""
    from rls.hardening import NARROWED

    usage, tables, sequences = False, 1, 1
    if not fresh:
        cursor.execute(
            SCHEMA_STATE_SQL, {"role": role, "schema": schema, "narrowed": list(NARROWED)}
        )
        usage, tables, sequences = cursor.fetchone()
    grantee, target = quote(role), quote(schema)
    changes = []
    if not usage:
        changes.append(
            Change(
                f"grant USAGE on schema {schema} to {role}",
                f"GRANT USAGE ON SCHEMA {target} TO {grantee}",
            )
        )
    for count, label, privileges in (
        (tables, "TABLES", TABLE_PRIVILEGES),
        (sequences, "SEQUENCES", SEQUENCE_PRIVILEGES),
    ):
        if count:
            listed = ", ".join(privileges)
            sql = f"GRANT {listed} ON ALL {label} IN SCHEMA {target} TO {grantee}"
            changes.append(
                Change(f"grant {listed} on all {label.lower()} in {schema} to {role}", sql)
            )
    return changes


SCHEMA_STATE_SQL = """
SELECT
  EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = %(schema)s
          AND a.grantee = to_regrole(%(role)s) AND a.privilege_type = 'USAGE'),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND c.relname <> ALL(%(narrowed)s)
      AND NOT (has_table_privilege(to_regrole(%(role)s), c.oid, 'SELECT')
           AND has_table_privilege(to_regrole(%(role)s), c.oid, 'INSERT')
           AND has_table_privilege(to_regrole(%(role)s), c.oid, 'UPDATE')
           AND has_table_privilege(to_regrole(%(role)s), c.oid, 'DELETE'))),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind = 'S'
      AND NOT (has_sequence_privilege(to_regrole(%(role)s), c.oid, 'USAGE')
           AND has_sequence_privilege(to_regrole(%(role)s), c.oid, 'SELECT')))
"""


def default_privilege_changes(
    cursor: CursorWrapper, role: str, owner: str, fresh: bool
) -> list[Change]:
    """Return the ALTER DEFAULT PRIVILEGES that cover public tables the owner creates later."""
    # In the public schema only: tables created in a tenant schema go to the tenant's role.
    cursor.execute(
        "SELECT d.defaclobjtype, a.privilege_type"
        " FROM pg_default_acl d, aclexplode(d.defaclacl) a"
        " WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        " AND d.defaclnamespace = 'public'::regnamespace AND a.grantee = to_regrole(%s)",
        [role],
    )
    granted = set() if fresh else set(cursor.fetchall())
    changes = []
    for kind, label, privileges in (
        ("r", "TABLES", TABLE_PRIVILEGES),
        ("S", "SEQUENCES", SEQUENCE_PRIVILEGES),
    ):
        if not all((kind, privilege) in granted for privilege in privileges):
            sql = (
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA public"
                f" GRANT {', '.join(privileges)} ON {label} TO {quote(role)}"
            )
            changes.append(
                Change(f"default privileges: public {label.lower()} {owner} creates later", sql)
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
