"""Least privilege beyond the tenant data: what no serving statement may do in this database.

- No TEMP: a temporary table would shadow a tenant table on the search_path (`pg_temp` is
  searched first), and temporary functions could be called by an injected statement.
- No set_config(): with it one SELECT could change the role, the tenant setting and the
  search_path together; with `SET` only, one statement changes one of them (rls/README.md).
- No DO blocks or functions of its own (USAGE on plpgsql): a DO block runs many statements.
- No signalling other backends (other tenants' requests) nor session advisory locks (the fleet
  and template locks): a pooled connection would keep one after the request.
- tenants_domain read-only: an injected UPDATE would route another tenant's host elsewhere.
- django_session out of reach but by key (accounts.sessions): it holds every user's session.
Functions and languages belong to the bootstrap superuser: `setup_db_roles` can only revoke
them when run as a superuser, and grants them back to the owner, which uses them (pg_dump).
On Citus the tenant roles also run statements on the workers (the coordinator connects as
them), and Citus propagates none of these REVOKEs: every worker gets them too.
"""

import psycopg
from django.db.backends.utils import CursorWrapper

from rls.sql import Change, quote

# Public tables the serving roles only read, or not even that (the rest: full DML). Sessions are
# reached through the key-taking functions of accounts.sessions only.
NARROWED: dict[str, tuple[str, ...]] = {"tenants_domain": ("SELECT",), "django_session": ()}
REVOKED_FUNCTIONS = (
    "pg_catalog.set_config(text, text, boolean)",
    "pg_catalog.pg_terminate_backend(integer, bigint)",
    "pg_catalog.pg_cancel_backend(integer)",
    "pg_catalog.pg_advisory_lock(bigint)",
    "pg_catalog.pg_advisory_lock_shared(bigint)",
    "pg_catalog.pg_try_advisory_lock(bigint)",
    "pg_catalog.pg_try_advisory_lock_shared(bigint)",
)
REVOKED_LANGUAGES = ("plpgsql",)
ALL_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES")

PUBLIC_TEMP_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_database d,
               aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
               WHERE d.datname = current_database() AND a.grantee = 0
                 AND a.privilege_type = 'TEMPORARY')
"""
PUBLIC_FUNCTION_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_proc p,
               aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
               WHERE p.oid = %s::regprocedure AND a.grantee = 0)
"""
PUBLIC_LANGUAGE_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_language l,
               aclexplode(coalesce(l.lanacl, acldefault('l', l.lanowner))) a
               WHERE l.lanname = %s AND a.grantee = 0)
"""


def database_hardening_changes(cursor: CursorWrapper, owner: str) -> list[Change]:
    """Return the REVOKEs from PUBLIC that this database still lacks (and the owner's grants)."""
    check = lambda sql, args: run_check(cursor, sql, args)  # noqa: E731
    return hardening_changes(check, owner, database_name(cursor))


def worker_hardening_changes(cursor: CursorWrapper, owner: str) -> list[Change]:
    """Return the REVOKEs from PUBLIC that any Citus worker still lacks, to run on all of them.

    Run them outside the transaction of the coordinator's changes: run_command_on_workers opens
    connections of its own, which would wait for the locks that transaction holds on the workers
    (Citus propagates GRANT ... ON DATABASE through it).
    """
    check = lambda sql, args: run_check_on_workers(cursor, sql, args)  # noqa: E731
    return [
        Change(f"{change.description} on the workers", on_workers(change.sql))
        for change in hardening_changes(check, owner, database_name(cursor))
    ]


def database_name(cursor: CursorWrapper) -> str:
    """Return the quoted name of the database (the same on every node of a Citus cluster)."""
    cursor.execute("SELECT current_database()")
    return quote(cursor.fetchone()[0])


def hardening_changes(check, owner: str, database: str) -> list[Change]:
    """Return the REVOKEs from PUBLIC that `check` (one node, or every worker) finds missing."""
    changes = []
    if check(PUBLIC_TEMP_SQL, []):
        sql = f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC"
        changes.append(Change("revoke TEMPORARY on the database from PUBLIC", sql))
    for kind, privilege, sql, names in (
        ("FUNCTION", "EXECUTE", PUBLIC_FUNCTION_SQL, REVOKED_FUNCTIONS),
        ("LANGUAGE", "USAGE", PUBLIC_LANGUAGE_SQL, REVOKED_LANGUAGES),
    ):
        for name in names:
            if check(sql, [name]):
                target = f"{privilege} ON {kind} {name}"
                revoke = f"REVOKE {target} FROM PUBLIC; GRANT {target} TO {quote(owner)}"
                description = f"revoke {privilege} on {kind.lower()} {name} from PUBLIC"
                changes.append(Change(description, revoke))
    return changes


def run_check(cursor: CursorWrapper, sql: str, args: list) -> bool:
    cursor.execute(sql, args)
    return cursor.fetchone()[0]


def run_check_on_workers(cursor: CursorWrapper | psycopg.Cursor, sql: str, args: list) -> bool:
    """Return whether the check holds on any worker (run_command_on_workers takes plain text)."""
    cursor.execute("SELECT format(%s, VARIADIC %s::text[])", [sql.replace("%s", "%L"), args])
    cursor.execute(
        "SELECT coalesce(bool_or(NOT success OR result = 't'), false)"
        " FROM run_command_on_workers(%s)",
        [cursor.fetchone()[0]],
    )
    return cursor.fetchone()[0]


def on_workers(sql: str) -> str:
    """Wrap statements to run on every worker, failing when any worker refuses them."""
    # run_command_on_workers reports a worker's error as a row instead of raising it. A worker
    # refuses GRANT/REVOKE on shared objects unless, as in Citus' own propagated commands, DDL
    # propagation is off (the one implicit transaction of the multi-statement query).
    sql = f"SET LOCAL citus.enable_ddl_propagation TO off; {sql}"
    return (
        "DO $$ DECLARE failed text; BEGIN"
        " SELECT string_agg(nodename || ':' || nodeport || ': ' || result, '; ') INTO failed"
        f" FROM run_command_on_workers({literal(sql)}) WHERE NOT success;"
        " IF failed IS NOT NULL THEN RAISE EXCEPTION 'on the workers: %', failed; END IF;"
        " END $$"
    )


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def narrow_changes(cursor: CursorWrapper, role: str, *, widened: bool) -> list[Change]:
    """Return the REVOKE/GRANT that leave `role` exactly the NARROWED privileges."""
    changes = []
    for table, allowed in NARROWED.items():
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{table}"])
        if not cursor.fetchone()[0]:
            continue
        if not widened:
            held = []
            for privilege in ALL_TABLE_PRIVILEGES:
                cursor.execute(
                    "SELECT has_table_privilege(to_regrole(%s), %s::regclass, %s)",
                    [role, f"public.{table}", privilege],
                )
                if cursor.fetchone()[0]:
                    held.append(privilege)
            if sorted(held) == sorted(allowed):
                continue
        target, grantee = f"public.{quote(table)}", quote(role)
        sql = f"REVOKE ALL ON {target} FROM {grantee}"
        if allowed:
            sql += f"; GRANT {', '.join(allowed)} ON {target} TO {grantee}"
        changes.append(Change(f"only {', '.join(allowed) or 'nothing'} on {table} for {role}", sql))
    return changes


# Explicit grants to the serving role outside public (tenant schemas, the template): from before
# tenant roles, or granted by hand. They must go: only a tenant's role may reach its schema.
STRAY_SCHEMAS_SQL = """
SELECT n.nspname FROM pg_namespace n
WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
  AND (EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = to_regrole(%(role)s))
       OR EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a
                  WHERE c.relnamespace = n.oid AND a.grantee = to_regrole(%(role)s)))
ORDER BY n.nspname
"""
STRAY_DEFAULTS_SQL = """
SELECT DISTINCT d.defaclobjtype FROM pg_default_acl d, aclexplode(d.defaclacl) a
WHERE d.defaclnamespace = 0 AND a.grantee = to_regrole(%(role)s)
  AND d.defaclrole = to_regrole(%(owner)s)
"""


def stray_grant_changes(cursor: CursorWrapper, role: str, owner: str) -> list[Change]:
    """Return the REVOKEs of the serving role's privileges in any schema but public."""
    params = {"role": role, "owner": owner}
    cursor.execute(STRAY_SCHEMAS_SQL, params)
    changes = []
    for (schema,) in cursor.fetchall():
        target, grantee = quote(schema), quote(role)
        sql = (
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {target} FROM {grantee};"
            f" REVOKE ALL ON ALL SEQUENCES IN SCHEMA {target} FROM {grantee};"
            f" REVOKE ALL ON SCHEMA {target} FROM {grantee}"
        )
        changes.append(Change(f"revoke {role}'s privileges in schema {schema}", sql))
    cursor.execute(STRAY_DEFAULTS_SQL, params)
    labels = {"r": "TABLES", "S": "SEQUENCES"}
    for (kind,) in cursor.fetchall():
        label = labels.get(kind, "FUNCTIONS" if kind == "f" else "TYPES")
        sql = (
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)}"
            f" REVOKE ALL ON {label} FROM {quote(role)}"
        )
        changes.append(Change(f"revoke default privileges on {label.lower()} in every schema", sql))
    return changes
