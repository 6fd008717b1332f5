"""Row-level security for the tenant-scoped public tables: policies as code and the context."""

from rls.context import all_tenants_scope, operator_scope, tenant_scope

__all__ = ["all_tenants_scope", "operator_scope", "tenant_scope"]
