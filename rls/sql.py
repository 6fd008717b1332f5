"""Render RLS declarations to SQL statements."""

from collections.abc import Sequence
from dataclasses import dataclass

from rls.policies import Policy, TablePolicy


@dataclass(frozen=True)
class Change:
    """One statement to run, and what it does in words (never showing a password)."""

    description: str
    sql: str


def quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def create_policy_sql(table: str, policy: Policy) -> str:
    """Return the `CREATE POLICY` statement of one policy."""
    sql = f"CREATE POLICY {quote(policy.name)} ON {quote(table)} FOR {policy.command}"
    if policy.command != "INSERT":
        sql += f" USING ({policy.using})"
    if policy.command in {"ALL", "INSERT", "UPDATE"}:
        sql += f" WITH CHECK ({policy.with_check})"
    return sql


def drop_policy_sql(table: str, name: str) -> str:
    """Return the `DROP POLICY IF EXISTS` statement of one policy."""
    return f"DROP POLICY IF EXISTS {quote(name)} ON {quote(table)}"


def enable_sql(declaration: TablePolicy, existing: Sequence[str] = ()) -> list[str]:
    """Return statements that make the table's RLS exactly the declared policies, forced."""
    table = declaration.table
    return [
        *(drop_policy_sql(table, name) for name in existing),
        f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY",
        # FORCE: the table owner is subject to the policies too (PostgreSQL exempts it by
        # default); only superusers and BYPASSRLS roles skip them.
        f"ALTER TABLE {quote(table)} FORCE ROW LEVEL SECURITY",
        *(create_policy_sql(table, policy) for policy in declaration.policies),
    ]


def disable_sql(table: str, existing: Sequence[str]) -> list[str]:
    """Return statements that drop the table's policies and turn RLS off."""
    return [
        *(drop_policy_sql(table, name) for name in existing),
        f"ALTER TABLE {quote(table)} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {quote(table)} DISABLE ROW LEVEL SECURITY",
    ]


EXISTING_POLICIES_SQL = (
    "SELECT p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relname = %s ORDER BY p.polname"
)
