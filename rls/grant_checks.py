"""Prove the grants isolate tenants: each role reaches its own schema only, nothing widened.

Run on the serving role's connection by `rls_check` (and the database system check): every
rule `setup_db_roles` establishes (rls.roles, rls.tenant_roles, rls.hardening) is read back
from the catalog, so a grant widened by hand or by a later migration fails the check.
"""

import re

import psycopg

from rls.checks import FIX_ROLE, Finding
from rls.hardening import (
    NARROWED,
    PUBLIC_FUNCTION_SQL,
    PUBLIC_LANGUAGE_SQL,
    PUBLIC_TEMP_SQL,
    REVOKED_FUNCTIONS,
    REVOKED_LANGUAGES,
    STRAY_SCHEMAS_SQL,
    run_check_on_workers,
)
from rls.sql import quote
from rls.tenant_roles import group_role_name, operator_role_name, role_prefix

HEX_ROLE = "substr({name}, length(%(prefix)s) + 1) ~ '^[0-9a-f]{{32}}$'"

# Every grant (schema, relation, default privilege) in a tenant's schema to a role of this
# database (its name starts with the prefix) or to PUBLIC, unless it is the schema's own tenant
# role. (A schema no tenant row names serves no request: the tests' flush leaves such.)
FOREIGN_GRANTS_SQL = """
WITH tenants AS (
  SELECT schema_name, %(prefix)s || replace(id::text, '-', '') AS role FROM public.{table}
), grants AS (
  SELECT n.nspname AS schema, a.grantee FROM pg_namespace n, aclexplode(n.nspacl) a
  UNION
  SELECT n.nspname, a.grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
    aclexplode(c.relacl) a
  UNION
  SELECT n.nspname, a.grantee FROM pg_default_acl d
    JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
)
SELECT coalesce(r.rolname, 'PUBLIC'), g.schema FROM grants g
LEFT JOIN pg_roles r ON r.oid = g.grantee
WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.schema_name = g.schema)
  AND (g.grantee = 0 OR left(r.rolname, length(%(prefix)s)) = %(prefix)s
       OR r.rolname = current_user)
  AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.schema_name = g.schema AND t.role = r.rolname)
ORDER BY 2, 1
"""
# Memberships that would let one role hold another's privileges: a tenant role in anything
# but the group, or the group/operator/serving role inheriting from a tenant role.
FOREIGN_MEMBERSHIPS_SQL = f"""
SELECT m.rolname, r.rolname FROM pg_auth_members am
JOIN pg_roles m ON m.oid = am.member JOIN pg_roles r ON r.oid = am.roleid
WHERE ({HEX_ROLE.format(name="m.rolname")} AND left(m.rolname, length(%(prefix)s)) = %(prefix)s
       AND r.rolname <> %(group)s)
   OR (m.rolname IN (%(group)s, %(operator)s) AND r.rolname <> %(group)s)
ORDER BY 1, 2
"""
MISSING_ROLES_SQL = """
SELECT t.schema_name FROM public.{table} t
WHERE t.status IN ('active', 'suspended')
  AND NOT EXISTS (SELECT 1 FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid
                  WHERE r.rolname = %(prefix)s || replace(t.id::text, '-', '')
                    AND am.member = (SELECT oid FROM pg_roles WHERE rolname = current_user))
ORDER BY 1
"""
SERVING_SQL = """
SELECT rolinherit, has_database_privilege(current_database(), 'TEMPORARY')
FROM pg_roles WHERE rolname = current_user
"""
# On Citus the coordinator reaches a tenant's schema on its worker by logging in as the tenant's
# role (see rls/README.md, "On Citus").
NOLOGIN_ROLES_SQL = """
SELECT t.schema_name FROM public.{table} t JOIN pg_roles r
  ON r.rolname = %(prefix)s || replace(t.id::text, '-', '')
WHERE t.status IN ('active', 'suspended') AND NOT r.rolcanlogin
ORDER BY 1
"""
GUARD_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'accounts_user_superuser_guard'
               AND tgrelid = to_regclass('public.accounts_user') AND tgenabled <> 'D')
"""


def grant_findings(cursor: psycopg.Cursor, *, level: str, tenant_table: str) -> list[Finding]:
    """Return every grant, membership or privilege that breaks the isolation rules."""
    cursor.execute("SELECT current_database(), current_user")
    database, serving = cursor.fetchone()
    prefix = role_prefix(database)
    params = {
        "prefix": prefix,
        "group": group_role_name(prefix),
        "operator": operator_role_name(prefix),
    }
    found = serving_findings(cursor, serving, params["group"], level=level)
    cursor.execute(STRAY_SCHEMAS_SQL, {"role": serving})
    for (schema,) in cursor.fetchall():
        message = f"The serving role {serving} has privileges in schema {schema}."
        found.append(Finding(level, "rls.E005", message, FIX_ROLE))
    cursor.execute(FOREIGN_GRANTS_SQL.format(table=quote(tenant_table)), params)
    for role, schema in cursor.fetchall():
        if role != serving:  # reported as E005 already
            message = f"{role} has privileges in schema {schema}, which is not its tenant's."
            found.append(Finding(level, "rls.E007", message, FIX_ROLE))
    cursor.execute(FOREIGN_MEMBERSHIPS_SQL, params)
    for member, role in cursor.fetchall():
        message = f"{member} is a member of {role}: it holds privileges not its own."
        found.append(Finding(level, "rls.E007", message, FIX_ROLE))
    cursor.execute(MISSING_ROLES_SQL.format(table=quote(tenant_table)), params)
    missing = [row[0] for row in cursor.fetchall()]
    if missing:
        names = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        message = f"{len(missing)} tenants have no role {serving} may enter ({names})."
        found.append(Finding(level, "rls.E008", message, FIX_ROLE))
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
    if cursor.fetchone()[0]:
        found += citus_findings(cursor, params, level=level, tenant_table=tenant_table)
    return found


def citus_findings(
    cursor: psycopg.Cursor, params: dict, *, level: str, tenant_table: str
) -> list[Finding]:
    """Return what keeps tenant roles from the workers, or leaves the workers unhardened."""
    found = []
    cursor.execute(NOLOGIN_ROLES_SQL.format(table=quote(tenant_table)), params)
    nologin = [row[0] for row in cursor.fetchall()]
    if nologin:
        names = ", ".join(nologin[:5]) + (" …" if len(nologin) > 5 else "")
        message = (
            f"{len(nologin)} tenant roles cannot log in: the coordinator cannot reach their "
            f"schemas on the workers ({names})."
        )
        found.append(Finding(level, "rls.E014", message, FIX_ROLE))
    # A worker that cannot be asked counts as unhardened (run_check_on_workers).
    for check, args, what in (
        (PUBLIC_TEMP_SQL, [], "create TEMP tables"),
        *((PUBLIC_FUNCTION_SQL, [name], f"call {name}") for name in REVOKED_FUNCTIONS),
        *((PUBLIC_LANGUAGE_SQL, [name], f"run {name}") for name in REVOKED_LANGUAGES),
    ):
        if run_check_on_workers(cursor, check, args):
            message = f"Every role may {what} on a worker (or a worker could not be checked)."
            found.append(Finding(level, "rls.E010", message, FIX_ROLE))
    return found


def serving_findings(
    cursor: psycopg.Cursor, serving: str, group: str, *, level: str
) -> list[Finding]:
    """Return what the serving role may do beyond DML under RLS in public."""
    found = []
    if re.search(r"[0-9a-f]{32}$|operator$", serving):
        # The policies recognise tenant and operator roles by these endings.
        message = f"The serving role {serving} is named like a tenant or the operator role."
        found.append(Finding(level, "rls.E013", message, FIX_ROLE))
    cursor.execute(SERVING_SQL)
    inherit, temp = cursor.fetchone()
    if inherit:
        message = f"The serving role {serving} has INHERIT: it holds every tenant role's grants."
        found.append(Finding(level, "rls.E006", message, FIX_ROLE))
    if temp:
        message = f"The serving role {serving} may create TEMP tables (they shadow tables)."
        found.append(Finding(level, "rls.E009", message, FIX_ROLE))
    for function in REVOKED_FUNCTIONS:
        cursor.execute("SELECT has_function_privilege(%s::regprocedure, 'EXECUTE')", [function])
        if cursor.fetchone()[0]:
            message = f"The serving role {serving} may call {function}."
            found.append(Finding(level, "rls.E010", message, FIX_ROLE))
    for language in REVOKED_LANGUAGES:
        cursor.execute("SELECT has_language_privilege(%s, 'USAGE')", [language])
        if cursor.fetchone()[0]:
            message = f"The serving role {serving} may run {language} (DO blocks)."
            found.append(Finding(level, "rls.E010", message, FIX_ROLE))
    for table, allowed in NARROWED.items():
        for role in (serving, group):
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute(
                    "SELECT to_regclass(%s) IS NOT NULL AND to_regrole(%s) IS NOT NULL"
                    " AND has_table_privilege(to_regrole(%s), %s, %s)",
                    [f"public.{table}", role, role, f"public.{table}", privilege],
                )
                if privilege not in allowed and cursor.fetchone()[0]:
                    only = ", ".join(allowed) or "nothing"
                    message = f"{role} may {privilege} {table} (only {only})."
                    found.append(Finding(level, "rls.E011", message, FIX_ROLE))
    cursor.execute(GUARD_SQL)
    if not cursor.fetchone()[0]:
        message = "accounts_user has no enabled superuser guard trigger."
        found.append(Finding(level, "rls.E012", message, "Run `manage.py migrate`."))
    return found
