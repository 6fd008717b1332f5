"""The per-transaction tenant context: what `app.current_tenant_id` should be, and scopes.

The database backend (`rls.backend`) reads `wanted_context()` before every statement and makes
the transaction carry it (`set_config(..., true)`, i.e. transaction-local), so a pooled
connection never carries one request's tenant into the next (PgBouncer transaction pooling).
"""

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# (tenant id or '', operator scope: '' / 'on' / 'all', tenant search_path or '') — NO_CONTEXT
# is what a fresh transaction has. The search_path rides along so a tenant's schema, like its
# RLS context, is chosen inside the very transaction that uses it: behind PgBouncer in
# transaction mode a session-level `SET search_path` may have been sent on another server
# connection.
Context = tuple[str, str, str]
NO_CONTEXT: Context = ("", "", "")
# `app.operator_scope` values: 'on' reveals operator tokens only (operator authentication);
# 'all' reveals every tenant's rows (the audited all-tenants scope of operator views).
OPERATOR_TOKENS, OPERATOR_ALL = "on", "all"
operator_log = logging.getLogger("rls.operator")


def tenant_id_of(tenant: Any) -> str:
    """Return the canonical UUID text of a Tenant, UUID or string ('' for None)."""
    if tenant is None:
        return ""
    value = getattr(tenant, "pk", tenant)
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


# The only values ever inlined into set_config (anything else is 'off').
OPERATOR_SCOPES = {OPERATOR_TOKENS: OPERATOR_TOKENS, OPERATOR_ALL: OPERATOR_ALL}


def prologue_sql(context: Context) -> str:
    """Return the statement that sets `context` for the current transaction only."""
    tenant_id, operator, search_path = context
    tenant_id = tenant_id and str(uuid.UUID(tenant_id))  # re-validated: inlined as a literal
    statement = (
        f"SELECT set_config('app.current_tenant_id', '{tenant_id}', true),"
        f" set_config('app.operator_scope', '{OPERATOR_SCOPES.get(operator, 'off')}', true)"
    )
    # Quoted, validated schema names (django-tenants); escaped all the same. Back on the public
    # schema inside a transaction that carried a tenant, the path must be reset too.
    literal = (search_path or "public").replace("'", "''")
    return statement + f", set_config('search_path', '{literal}', true)"


@contextlib.contextmanager
def tenant_scope(tenant: Any, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Make queries in the block see `tenant`'s rows of the RLS tables (None: no tenant).

    Overrides the tenant django-tenants selected (it does not change the search_path).
    """
    connection: Any = connections[using]  # rls.backend's DatabaseWrapper
    connection.rls_scopes.append(tenant_id_of(tenant))
    try:
        yield
    finally:
        connection.rls_scopes.pop()


@contextlib.contextmanager
def operator_scope(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """DANGER: let the block see operator tokens (ApiToken rows with tenant_id NULL).

    Only the base domain's operator authentication may use this; it reveals no tenant's rows.
    """
    connection: Any = connections[using]
    connection.rls_operator_scopes.append(OPERATOR_TOKENS)
    try:
        yield
    finally:
        connection.rls_operator_scopes.pop()


@contextlib.contextmanager
def all_tenants_scope(*, actor: Any, reason: str, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """DANGER: let the block see and change every tenant's rows of the RLS tables.

    For staff-only operator views (the operator admin, the migrations API) and nothing else;
    each entry is logged on `rls.operator` with who entered it and why.
    """
    operator_log.info("all-tenants scope: %s (%s)", getattr(actor, "email", actor), reason)
    connection: Any = connections[using]
    connection.rls_operator_scopes.append(OPERATOR_ALL)
    try:
        yield
    finally:
        connection.rls_operator_scopes.pop()
