"""Row-level-security declarations: which public tables are tenant-scoped, and by what rule.

Every table listed here gets `ENABLE` + `FORCE ROW LEVEL SECURITY` and exactly the policies
declared for it (see `rls.sql` and the `ApplyRowLevelSecurity` migration operation).

The tenant context is the transaction-local setting `app.current_tenant_id` (see
`rls.context`). Unset or '' means "no tenant": `NULLIF(..., '')::uuid` is NULL, and
`tenant_id = NULL` is never true, so tenant-scoped tables look empty and reject writes
(fail closed).

Rules:
- Membership, ApiToken, Invitation, TenantMigration, AuditEvent: a row is visible and writable
  only when its `tenant_id` equals the current tenant.
- ApiToken also holds *operator tokens* (`tenant_id IS NULL`, staff users, base domain only).
  They are visible and writable only inside `rls.operator_scope()`, which sets
  `app.operator_scope = 'on'` for the transaction, and in the all-tenants scope below.
- Operator views (the operator admin, the migrations API) see and change every tenant's rows
  of these tables (operator tokens included) only inside `rls.all_tenants_scope()`, which
  sets `app.operator_scope = 'all'` for the transaction and logs who entered it and why.
- Domain (tenants_domain) has a tenant_id but is exempt (EXEMPT): the router must read it to
  find the tenant of a Host before there is a tenant context. It holds no tenant data.
- User (global, no tenant_id): with no tenant context (the base domain: operators, login,
  sign-up) every user is visible; inside a tenant only the users with a Membership in that
  tenant are. The membership subquery is itself filtered by Membership's policy, which keeps
  the same tenant, so it cannot widen what is seen. Inserts are not restricted (a user joins a
  tenant after the user row exists); updates and deletes reach only visible users.
"""

from dataclasses import dataclass, field

CURRENT_TENANT = "NULLIF(current_setting('app.current_tenant_id', true), '')::uuid"
OPERATOR_SCOPE_ON = "current_setting('app.operator_scope', true) = 'on'"
OPERATOR_ALL_TENANTS = "current_setting('app.operator_scope', true) = 'all'"


@dataclass(frozen=True)
class Policy:
    """One `CREATE POLICY`: a name, the command it covers, and its USING / WITH CHECK SQL."""

    name: str
    using: str
    check: str | None = None
    command: str = "ALL"

    @property
    def with_check(self) -> str:
        """Return the WITH CHECK expression (the USING one unless given)."""
        return self.check if self.check is not None else self.using


@dataclass(frozen=True)
class TablePolicy:
    """A protected public table: tenant isolation on `column` plus any extra policies."""

    table: str
    column: str | None = "tenant_id"
    extra: tuple[Policy, ...] = field(default_factory=tuple)

    @property
    def policies(self) -> tuple[Policy, ...]:
        """Return every policy of the table, tenant isolation first."""
        base: tuple[Policy, ...] = ()
        if self.column:
            base = (
                Policy("tenant_isolation", using=f"{self.column} = {CURRENT_TENANT}"),
                Policy("operator_all_tenants", using=OPERATOR_ALL_TENANTS),
            )
        return base + self.extra


USER_VISIBLE = (
    f"{CURRENT_TENANT} IS NULL OR EXISTS (SELECT 1 FROM accounts_membership m"
    f" WHERE m.user_id = accounts_user.id AND m.tenant_id = {CURRENT_TENANT})"
)

DECLARATIONS = (
    TablePolicy("accounts_membership"),
    TablePolicy(
        "accounts_apitoken",
        extra=(Policy("operator_tokens", using=f"tenant_id IS NULL AND {OPERATOR_SCOPE_ON}"),),
    ),
    TablePolicy("accounts_invitation"),
    TablePolicy("migrator_tenantmigration"),
    TablePolicy("audit_auditevent"),
    TablePolicy(
        "accounts_user",
        column=None,
        extra=(Policy("tenant_members", using=USER_VISIBLE, check="true"),),
    ),
)

# Public tables with a tenant_id column that are deliberately not tenant-scoped, and why.
EXEMPT: dict[str, str] = {
    "tenants_domain": "routing maps a Host to its tenant before any tenant context exists",
}

POLICIES: dict[str, TablePolicy] = {declaration.table: declaration for declaration in DECLARATIONS}


def policy_for(table: str) -> TablePolicy:
    """Return the declaration of `table`; a KeyError names undeclared tables."""
    return POLICIES[table]
