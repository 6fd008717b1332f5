"""Per-tenant database roles: each tenant transaction acts with its own tenant's privileges.

Role names are cluster-wide, so all of them start with a prefix of this database
(`RLS_ROLE_PREFIX`, by default the database name and `_`):
- `<prefix><tenant id hex>`: one role per tenant; it alone has USAGE and DML on the tenant's
  schema. The RLS backend enters it with `SET LOCAL ROLE` in each tenant transaction. NOLOGIN,
  but on Citus: the coordinator opens its connections to the workers as the current role, so
  there a tenant role has LOGIN and no password (password authentication refuses it; see
  rls/README.md, "On Citus").
- `<prefix>tenant`: the group every tenant role inherits from: what a tenant transaction needs
  in the public schema (the same grants as the application role there).
- `<prefix>operator`: the role of `rls.operator_scope()` (operator tokens), in the group too.
The application role is a member of the tenant and operator roles (to `SET ROLE`) but has
NOINHERIT, so outside a tenant transaction it holds none of their privileges.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.backends.utils import CursorWrapper

from rls.sql import Change, quote

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")
# A role name is at most 63 bytes (NAMEDATALEN - 1); a tenant's adds 32 hex digits.
MAX_PREFIX = 63 - 32


def role_prefix(database: str | None = None) -> str:
    """Return this database's role-name prefix (RLS_ROLE_PREFIX, else derived from its name)."""
    prefix = settings.RLS_ROLE_PREFIX
    if prefix:
        if len(prefix.encode()) > MAX_PREFIX:
            raise ImproperlyConfigured(f"RLS_ROLE_PREFIX must be at most {MAX_PREFIX} bytes.")
        return prefix
    name = database or connection.settings_dict["NAME"]
    if len(name.encode()) < MAX_PREFIX:
        return f"{name}_"
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name.encode()[: MAX_PREFIX - 10].decode(errors='ignore')}_{digest}_"


def tenant_role_name(tenant_id: object, *, prefix: str) -> str:
    """Return the name of a tenant's role (its id as 32 hex digits after the prefix)."""
    return prefix + uuid.UUID(str(tenant_id)).hex


def group_role_name(prefix: str) -> str:
    """Return the group role every tenant role inherits its public-schema grants from."""
    return f"{prefix}tenant"


def operator_role_name(prefix: str) -> str:
    """Return the role of the operator scope."""
    return f"{prefix}operator"


def login_option() -> str:
    """Return the tenant roles' login attribute: LOGIN on Citus (workers), NOLOGIN elsewhere."""
    from shared_apps.tenants.citus import citus_active

    return "LOGIN" if citus_active() else "NOLOGIN"


def tenant_role_sql(
    *,
    role: str,
    schema_name: str | None,
    owner: str,
    group: str | None,
    member: str | None,
    empty: bool = False,
) -> list[str]:
    """Return the statements that give `role` (existing) exactly its schema's privileges.

    `empty`: the schema was created in this transaction and holds nothing yet; `GRANT ... ON
    ALL TABLES IN SCHEMA` scans all of pg_class (no index on the namespace), which grows with
    the fleet, so a new schema relies on its default privileges alone.
    """
    statements = []
    if group:
        statements.append(f"GRANT {quote(group)} TO {quote(role)}")
    if member:
        statements.append(f"GRANT {quote(role)} TO {quote(member)}")
    if schema_name:
        target, grantee = quote(schema_name), quote(role)
        tables, sequences = ", ".join(TABLE_PRIVILEGES), ", ".join(SEQUENCE_PRIVILEGES)
        statements.append(f"GRANT USAGE ON SCHEMA {target} TO {grantee}")
        if not empty:
            statements += [
                f"GRANT {tables} ON ALL TABLES IN SCHEMA {target} TO {grantee}",
                f"GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {target} TO {grantee}",
            ]
        statements += [
            # Tables created later by the owner (template replay, fleet migrations) get the same.
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {target}"
            f" GRANT {tables} ON TABLES TO {grantee}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {target}"
            f" GRANT {sequences} ON SEQUENCES TO {grantee}",
        ]
    return statements


def tenant_role_provision(
    *,
    tenant_id: object,
    schema_name: str | None,
    cursor: CursorWrapper,
    adopt: bool = False,
    empty: bool = False,
) -> str:
    """Create the tenant's role if missing and grant it its schema; return the role name.

    Runs in the caller's transaction (roles are transactional), as the owner, which needs
    CREATEROLE. The application role and the group join only when they exist yet
    (`setup_db_roles` creates them and adds what is missing). `adopt`: the schema existed
    before this tenant row; the roles of other tenants lose their grants on it. `empty`: the
    schema is new in this transaction (see `tenant_role_sql`).
    """
    prefix = role_prefix()
    role = tenant_role_name(tenant_id, prefix=prefix)
    from rls.roles import app_role

    cursor.execute(
        "SELECT current_user, to_regrole(%s) IS NOT NULL, to_regrole(%s) IS NOT NULL,"
        " to_regrole(%s) IS NOT NULL",
        [role, group_role_name(prefix), app_role().name],
    )
    owner, exists, has_group, has_app = cursor.fetchone()
    statements = [] if exists else [f"CREATE ROLE {quote(role)} {login_option()}"]
    if adopt and schema_name:  # an existing schema given to a new tenant row: only it may stay
        statements += foreign_grant_revokes(cursor, schema_name, keep=role, owner=owner)
    statements += tenant_role_sql(
        role=role,
        schema_name=schema_name,
        owner=owner,
        group=group_role_name(prefix) if has_group else None,
        member=app_role().name if has_app and app_role().name != owner else None,
        empty=empty,
    )
    cursor.execute(";\n".join(statements))  # one round trip
    return role


def foreign_grant_revokes(
    cursor: CursorWrapper, schema_name: str, *, keep: str, owner: str
) -> list[str]:
    """Return the REVOKEs of every tenant role's grants on `schema_name` but `keep`'s."""
    prefix = role_prefix()
    cursor.execute(
        "SELECT DISTINCT r.rolname FROM pg_namespace n, aclexplode(n.nspacl) a, pg_roles r"
        " WHERE n.nspname = %s AND r.oid = a.grantee AND r.rolname <> %s"
        " AND left(r.rolname, length(%s)) = %s",
        [schema_name, keep, prefix, prefix],
    )
    target, statements = quote(schema_name), []
    for (name,) in cursor.fetchall():
        grantee = quote(name)
        statements += [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {target} FROM {grantee}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {target} FROM {grantee}",
            f"REVOKE ALL ON SCHEMA {target} FROM {grantee}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {target}"
            f" REVOKE ALL ON TABLES FROM {grantee}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {target}"
            f" REVOKE ALL ON SEQUENCES FROM {grantee}",
        ]
    return statements


def tenant_role_drop(*, tenant_id: object, cursor: CursorWrapper) -> None:
    """Drop the tenant's role; call it after dropping the schema, which held its grants."""
    role = tenant_role_name(tenant_id, prefix=role_prefix())
    cursor.execute(f"DROP ROLE IF EXISTS {quote(role)}")


def schema_tenant_id(schema_name: str, cursor: CursorWrapper) -> str | None:
    """Return the id of the tenant whose schema this is, or None (template, scratch schemas)."""
    from django_tenants.utils import get_tenant_model

    table = quote(get_tenant_model()._meta.db_table)
    cursor.execute(f"SELECT id FROM public.{table} WHERE schema_name = %s", [schema_name])
    row = cursor.fetchone()
    return str(row[0]) if row else None


def support_role_changes(cursor: CursorWrapper, app: str, prefix: str) -> tuple[list, bool]:
    """Return the changes that create the group and operator roles; and whether the group is new."""
    group, operator = group_role_name(prefix), operator_role_name(prefix)
    cursor.execute(
        "SELECT to_regrole(%(group)s) IS NOT NULL, to_regrole(%(operator)s) IS NOT NULL,"
        f" {MEMBER_SQL.format(role='%(group)s', member='%(operator)s')},"
        f" {MEMBER_SQL.format(role='%(operator)s', member='%(app)s')}",
        {"group": group, "operator": operator, "app": app},
    )
    has_group, has_operator, operator_in_group, app_in_operator = cursor.fetchone()
    wanted = [
        (
            has_group,
            f"create role {group} (what tenant roles share in public)",
            f"CREATE ROLE {quote(group)} NOLOGIN",
        ),
        (
            has_operator,
            f"create role {operator} (the operator scope)",
            f"CREATE ROLE {quote(operator)} NOLOGIN",
        ),
        (
            operator_in_group,
            f"grant {group} to {operator}",
            f"GRANT {quote(group)} TO {quote(operator)}",
        ),
        (
            app_in_operator,
            f"grant {operator} to {app} (SET ROLE only: NOINHERIT)",
            f"GRANT {quote(operator)} TO {quote(app)}",
        ),
    ]
    changes = [Change(description, sql) for done, description, sql in wanted if not done]
    return changes, not has_group


MEMBER_SQL = (
    "EXISTS (SELECT 1 FROM pg_auth_members WHERE roleid = to_regrole({role})"
    " AND member = to_regrole({member}))"
)

# Per tenant: its role, and whether anything it needs is missing (one query for the fleet).
TENANT_ROLES_SQL = """
WITH t AS (
  SELECT id, schema_name, %(prefix)s || replace(id::text, '-', '') AS role
  FROM public.{table}
), s AS (
  SELECT t.*, r.oid AS role_oid, r.rolcanlogin AS can_log_in, n.oid AS schema_oid FROM t
  LEFT JOIN pg_roles r ON r.rolname = t.role
  LEFT JOIN pg_namespace n ON n.nspname = t.schema_name
)
SELECT s.id::text, s.schema_name, s.role, s.role_oid IS NOT NULL, s.schema_oid IS NOT NULL,
       s.can_log_in
FROM s
WHERE s.role_oid IS NULL
   OR s.can_log_in <> %(login)s
   OR NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = to_regrole(%(group)s)
                  AND m.member = s.role_oid)
   OR NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = s.role_oid
                  AND m.member = to_regrole(%(app)s))
   OR (s.schema_oid IS NOT NULL AND (
        NOT has_schema_privilege(s.role_oid, s.schema_oid, 'USAGE')
        OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = s.schema_oid
                   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                   AND NOT (has_table_privilege(s.role_oid, c.oid, 'SELECT')
                        AND has_table_privilege(s.role_oid, c.oid, 'INSERT')
                        AND has_table_privilege(s.role_oid, c.oid, 'UPDATE')
                        AND has_table_privilege(s.role_oid, c.oid, 'DELETE')))
        OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = s.schema_oid
                   AND c.relkind = 'S'
                   AND NOT (has_sequence_privilege(s.role_oid, c.oid, 'USAGE')
                        AND has_sequence_privilege(s.role_oid, c.oid, 'SELECT')))
        OR (SELECT count(DISTINCT d.defaclobjtype) FROM pg_default_acl d, aclexplode(d.defaclacl) a
            WHERE d.defaclnamespace = s.schema_oid AND d.defaclrole = to_regrole(%(owner)s)
              AND a.grantee = s.role_oid) < 2))
ORDER BY s.schema_name
"""

# Roles named like this database's tenant roles whose tenant is gone and that hold nothing in
# any database (pg_shdepend is cluster-wide): left by a dropped test database, for instance.
ORPHAN_ROLES_SQL = """
SELECT r.rolname FROM pg_roles r
WHERE left(r.rolname, length(%(prefix)s)) = %(prefix)s
  AND substr(r.rolname, length(%(prefix)s) + 1) ~ '^[0-9a-f]{{32}}$'
  AND substr(r.rolname, length(%(prefix)s) + 1)::uuid NOT IN (SELECT id FROM public.{table})
  AND NOT EXISTS (SELECT 1 FROM pg_shdepend d
                  WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = r.oid)
ORDER BY r.rolname
"""


def tenant_role_changes(
    cursor: CursorWrapper, app: str, *, owner: str, prefix: str, tenant_table: str
) -> list[Change]:
    """Return what every tenant's role lacks (created, login, member, grants), and orphans."""
    login = login_option()
    params = {"prefix": prefix, "group": group_role_name(prefix), "app": app, "owner": owner}
    params["login"] = login == "LOGIN"
    cursor.execute(TENANT_ROLES_SQL.format(table=quote(tenant_table)), params)
    changes = []
    for _, schema_name, role, exists, has_schema, can_log_in in cursor.fetchall():
        statements = [] if exists else [f"CREATE ROLE {quote(role)} {login}"]
        if exists and can_log_in != params["login"]:
            statements.append(f"ALTER ROLE {quote(role)} {login}")
        statements += tenant_role_sql(
            role=role,
            schema_name=schema_name if has_schema else None,
            owner=owner,
            group=params["group"],
            member=app,
        )
        changes.append(Change(f"tenant role {role}: schema {schema_name}", ";\n".join(statements)))
    cursor.execute(ORPHAN_ROLES_SQL.format(table=quote(tenant_table)), params)
    changes += [
        Change(f"drop role {name} (no tenant has it)", f"DROP ROLE {quote(name)}")
        for (name,) in cursor.fetchall()
    ]
    return changes
