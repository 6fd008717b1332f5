"""django-tenants' DatabaseWrapper that makes every transaction carry the RLS tenant context.

Before each statement (an execute wrapper installed on every connection):
- inside a transaction (an atomic block, or one already open): when the transaction does not
  carry the wanted context yet, its `SET LOCAL` statements first, once per transaction;
- in autocommit mode: a statement that reads or writes rows runs in a short transaction,
  `BEGIN; SET LOCAL …`, the statement, `COMMIT` — so the settings die with it.
`SET LOCAL` is transaction-local (PostgreSQL reverts it at COMMIT/ROLLBACK), which is what makes
this safe behind PgBouncer transaction pooling: no context outlives its transaction. On a
connection of the serving role (neither superuser nor BYPASSRLS) the context includes
`SET LOCAL ROLE` to the tenant's own role (`rls.tenant_roles`), the only holder of privileges on
its schema; owner connections (DDL, fleet jobs) keep their role.
The wanted context is `rls.tenant_scope`'s tenant, else django-tenants' current tenant
(`connection.set_tenant`: middleware, tenant_context, schema_context, tenant-aware Celery tasks),
else none ('' → the RLS tables look empty).
"""

import contextlib
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_public_schema_name, quote_schema_name
from psycopg import sql as psycopg_sql
from psycopg.pq import TransactionStatus

from rls.backend.introspection import DatabaseIntrospection
from rls.context import NO_CONTEXT, Context, prologue_sql
from rls.sql import quote
from rls.tenant_roles import role_prefix

IDLE, INTRANS = TransactionStatus.IDLE, TransactionStatus.INTRANS
# After ROLLBACK TO SAVEPOINT we cannot know whether the context survived: set it again.
UNKNOWN: Context = ("?", "", "")
# Statements that read or write rows. Others (SET, DDL, VACUUM, CREATE INDEX CONCURRENTLY…)
# never need the context, and some cannot run inside the transaction it would need.
ROW_STATEMENTS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "MERGE", "VALUES", "TABLE", "DECLARE"}
    | {"COPY", "EXPLAIN"}
)
FIRST_WORD = re.compile(r"[\s(]*(\w+)")


def reads_rows(sql: object) -> bool:
    """Return whether `sql` may touch table rows (unknown objects count as yes)."""
    if not isinstance(sql, str):
        return True
    match = FIRST_WORD.match(sql)
    return match is None or match.group(1).upper() in ROW_STATEMENTS


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    """PostgreSQL with django-tenants' search_path switching and the RLS tenant context."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Set up the RLS state, then install the execute wrapper on this connection."""
        self.rls_scopes: list[str] = []  # rls.tenant_scope stack
        self.rls_operator_scopes: list[str] = []  # rls.operator_scope / all_tenants_scope stack
        self._rls_tenant_id: str | None = ""  # None: a bare schema, looked up on first use
        self._rls_in_transaction: Context = NO_CONTEXT
        self._rls_path: tuple[tuple, str] = ((), "")  # (schema key, search_path) cache
        self._rls_prefix: str | None = None  # role-name prefix: set on serving connections
        # The role a serving transaction without tenant acts as: None is the login role (SET
        # LOCAL ROLE NONE); a name, the role given to `rls_act_as` (a test harness).
        self._rls_base_role: str | None = None
        self._rls_serving_role: str | None = None  # see rls_serving_role
        super().__init__(*args, **kwargs)
        self.introspection = DatabaseIntrospection(self)
        self.execute_wrappers.append(self._rls_execute)

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        """Select `tenant`'s schema (django-tenants) and remember its id for the RLS context."""
        super().set_tenant(tenant, include_public)
        if self.schema_name == get_public_schema_name():
            self._rls_tenant_id = ""
        else:
            pk = getattr(tenant, "pk", None)
            self._rls_tenant_id = None if pk is None else str(pk)

    def rls_context(self) -> Context:
        """Return the context the next statement must run with."""
        tenant_id = self.rls_scopes[-1] if self.rls_scopes else self._rls_tenant_id
        if tenant_id is None:
            tenant_id = self._schema_tenant_id()
        operator = self.rls_operator_scopes[-1] if self.rls_operator_scopes else ""
        return (tenant_id, operator, self._rls_search_path())

    def _rls_search_path(self) -> str:
        """Return the tenant's search_path (quoted identifiers), or '' on the public schema."""
        # Asked before every statement: rebuild it only when the schema changed.
        key = (self.schema_name, self.include_public_schema)
        if self._rls_path[0] != key:
            public = not self.schema_name or self.schema_name == get_public_schema_name()
            path = (
                "" if public else ",".join(map(quote_schema_name, self._get_cursor_search_paths()))
            )
            self._rls_path = (key, path)
        return self._rls_path[1]

    def _rls_execute(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict
    ) -> Any:
        """Run one statement in a transaction that carries the wanted context."""
        raw = self.connection
        status = raw.info.transaction_status  # read first: a schema lookup may open one
        wanted = self.rls_context()
        serving = self._rls_prefix is not None
        if status == IDLE and raw.autocommit:
            if wanted == NO_CONTEXT and not serving:
                return execute(sql, params, many, context)
            if not reads_rows(sql):  # DDL, SET…: may not run in a transaction; no RLS needed
                return self._in_session_search_path(wanted[2], execute, sql, params, many, context)
            return self._in_short_transaction(wanted, execute, sql, params, many, context)
        if status == IDLE:  # this statement opens a new transaction: it carries nothing yet
            # A serving connection trusts nothing its session carries: a committed session-level
            # SET (say an injected `SET ROLE`) must not reach the next transaction, so even a
            # transaction without tenant resets role and settings.
            self._rls_in_transaction = UNKNOWN if serving else NO_CONTEXT
        if wanted != self._rls_in_transaction and status in (IDLE, INTRANS):
            with self.wrap_database_errors:
                raw.execute(self._rls_prologue(wanted))
            self._rls_in_transaction = wanted
        return execute(sql, params, many, context)

    def _handle_search_path(self, cursor: Any = None) -> None:
        """Send no session-level SET search_path (django-tenants would, per schema switch).

        Each tenant transaction sets its search_path locally (see `rls_context`), which is the
        only kind that stays correct behind PgBouncer in transaction mode, and saves a round
        trip per switch; the session keeps `public` (set when the connection opens).
        """

    def init_connection_state(self) -> None:
        """Start every connection on the public schema only; note whether it serves tenants."""
        super().init_connection_state()
        with self.wrap_database_errors:
            self.connection.execute("SET search_path TO public")
            self._rls_decide_serving(None)
            if not self.connection.autocommit:
                self.connection.commit()

    @property
    def rls_serving_role(self) -> str | None:
        """Return the role this connection serves tenants as, or None when it acts as the owner."""
        return self._rls_serving_role

    def rls_act_as(self, role: str | None) -> None:
        """Act as `role` on this session from now on (None: the login role again).

        For a test harness that serves requests as the application role on its superuser
        connection, as production does on its own login: `SET ROLE`, then the serving decision
        again (init_connection_state makes it per connection, never per transaction).
        """
        self.ensure_connection()
        with self.wrap_database_errors:
            self.connection.execute(f"SET ROLE {quote(role)}" if role else "RESET ROLE")
            self._rls_decide_serving(role)
        self._rls_in_transaction = UNKNOWN  # the transaction's role just changed

    def _rls_decide_serving(self, role: str | None) -> None:
        """Serve tenants (enter their roles) unless the current role bypasses RLS."""
        row = self.connection.execute(
            "SELECT rolname, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        # The owner and superusers bypass RLS and run DDL: they never act as a tenant's role.
        serving = row is not None and not row[1]
        self._rls_prefix = role_prefix(self.settings_dict["NAME"]) if serving else None
        self._rls_base_role = role if serving else None
        self._rls_serving_role = row[0] if serving else None

    def rls_prologue_for_batch(self) -> str:
        """Return the SET LOCAL statements of the wanted context and count them as sent.

        For a caller that sends them in its own first batch of a transaction (the fleet
        runner), which saves a round trip per tenant. Call inside `transaction.atomic()`
        before any other statement: if a statement comes first, this transaction carries the
        context already and the batch only repeats it.
        """
        wanted = self.rls_context()
        self._rls_in_transaction = wanted
        return self._rls_prologue(wanted)

    def _rls_prologue(self, wanted: Context) -> str:
        """Return the SET LOCAL statements of `wanted` for this connection."""
        return prologue_sql(wanted, prefix=self._rls_prefix, base_role=self._rls_base_role)

    def _configure_timezone(self, connection: Any) -> bool:
        """Set the session time zone with SET: the serving role may not call set_config()."""
        name = self.timezone_name
        if name and connection.info.parameter_status("TimeZone") != name:
            with connection.cursor() as cursor:
                cursor.execute(
                    psycopg_sql.SQL("SET TIME ZONE {}").format(psycopg_sql.Literal(name))
                )
            return True
        return False

    def _in_session_search_path(
        self,
        search_path: str,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict,
    ) -> Any:
        """Run an autocommit non-row statement (e.g. DDL) with the tenant's search_path."""
        if not search_path:
            return execute(sql, params, many, context)
        raw = self.connection
        with self.wrap_database_errors:
            raw.execute(f"SET search_path TO {search_path}")  # a quoted identifier list
        try:
            return execute(sql, params, many, context)
        finally:
            with contextlib.suppress(Exception), self.wrap_database_errors:
                raw.execute("SET search_path TO public")

    def _in_short_transaction(
        self,
        wanted: Context,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict,
    ) -> Any:
        """Run one autocommit statement inside BEGIN; SET LOCAL …; …; COMMIT."""
        raw = self.connection
        with self.wrap_database_errors:
            raw.execute(f"BEGIN; {self._rls_prologue(wanted)}")  # one round trip
        try:
            result = execute(sql, params, many, context)
        except BaseException:
            with contextlib.suppress(Exception):
                raw.execute("ROLLBACK")
            raise
        with self.wrap_database_errors:
            raw.execute("COMMIT")
        return result

    def _schema_tenant_id(self) -> str:
        """Look up the tenant of a schema selected by name only (schema_context)."""
        raw = self.connection
        if raw.info.transaction_status not in (IDLE, INTRANS):
            return ""  # an aborted transaction: fail closed, try again next time
        table = f"public.{self._tenant_table()}"
        with self.wrap_database_errors:
            # to_regclass first: during the first migrations the tenant table may not exist.
            row = raw.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
            if row and row[0]:
                row = raw.execute(
                    f"SELECT id FROM {table} WHERE schema_name = %s", [self.schema_name]
                ).fetchone()
            else:
                row = None
        self._rls_tenant_id = str(row[0]) if row else ""
        return self._rls_tenant_id

    @staticmethod
    def _tenant_table() -> str:
        """Return the db_table of TENANT_MODEL."""
        from django.apps import apps

        return apps.get_model(settings.TENANT_MODEL)._meta.db_table

    # The transaction ends or rewinds: forget what it carried. After the SQL ran, never before:
    # ROLLBACK TO SAVEPOINT goes through the execute wrapper too, and would otherwise be preceded
    # by a SET LOCAL that the rollback itself undoes.
    def _commit(self) -> None:
        """Commit; the next transaction starts without context."""
        try:
            return super()._commit()
        finally:
            self._rls_in_transaction = NO_CONTEXT

    def _rollback(self) -> None:
        """Roll back; the next transaction starts without context."""
        try:
            return super()._rollback()
        finally:
            self._rls_in_transaction = NO_CONTEXT

    def _savepoint_rollback(self, sid: str) -> None:
        """Roll back to a savepoint; the context must be set again."""
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._rls_in_transaction = UNKNOWN
