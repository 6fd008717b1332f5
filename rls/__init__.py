"""Row-level security for the tenant-scoped public tables: policies as code and the context."""

from rls.context import operator_scope, tenant_scope

__all__ = ["operator_scope", "tenant_scope"]
