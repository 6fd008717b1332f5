"""Fixtures for RLS tests: committed data in two tenants.

Every query that proves isolation runs as the application role (never the superuser): the
`app_db` fixture (tests/conftest.py) points the default connection at it. Data is written by the
superuser and committed first (the app role's connection must see it), then removed after the
module.
"""

import datetime
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from shared_apps.accounts.models import ApiToken, Invitation, Membership, Role, User
from shared_apps.audit.models import AuditEvent
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Domain, Tenant
from tests.serving import PASSWORD, AppRole, connected_as  # noqa: F401 - used by RLS tests


@dataclass
class World:
    """Two tenants with rows in every RLS table, their members, and one non-member."""

    a: Tenant
    b: Tenant
    members: dict
    spare: User
    run: MigrationRun
    spare_run: MigrationRun
    operator_token: ApiToken

    def host(self, tenant: Tenant) -> str:
        return f"{tenant.slug}.{settings.TENANT_BASE_DOMAIN}"


def membership(tenant, user, run):
    return Membership(tenant=tenant, user=user, role=Role.MEMBER)


def api_token(tenant, user, run):
    key = uuid.uuid4().hex
    return ApiToken(tenant=tenant, user=user, name="probe", key_hash=key, prefix=key[:8])


def invitation(tenant, user, run):
    return Invitation(
        tenant=tenant,
        email=f"invitee-{uuid.uuid4().hex[:6]}@example.test",
        token_hash=uuid.uuid4().hex,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )


def tenant_migration(tenant, user, run):
    return TenantMigration(tenant=tenant, run=run, schema_name=tenant.schema_name)


def audit_event(tenant, user, run):
    return AuditEvent(tenant=tenant, actor=user, action="probe")


# One row factory per RLS table: (tenant, user, run) -> an unsaved row of that tenant.
FACTORIES = {
    "accounts_membership": membership,
    "accounts_apitoken": api_token,
    "accounts_invitation": invitation,
    "migrator_tenantmigration": tenant_migration,
    "audit_auditevent": audit_event,
}


def make_tenant(tag: str) -> Tenant:
    slug = f"rls{uuid.uuid4().hex[:6]}{tag}"
    tenant = Tenant.objects.create(
        slug=slug, name=slug, schema_name=f"t_{slug}", status=Tenant.Status.ACTIVE
    )
    Domain.objects.create(domain=f"{slug}.{settings.TENANT_BASE_DOMAIN}", tenant=tenant)
    return tenant


def make_user(tag: str, **extra) -> User:
    return User.objects.create_user(f"{tag}-{uuid.uuid4().hex[:6]}@rls.test", PASSWORD, **extra)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Commit tenants A and B with a row of each in every RLS table; delete them afterwards."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        a, b = make_tenant("a"), make_tenant("b")
        members = {a.pk: make_user("member-a"), b.pk: make_user("member-b")}
        run, spare_run = (MigrationRun.objects.create(operation="migrate") for _ in range(2))
        for tenant in (a, b):
            for factory in FACTORIES.values():
                factory(tenant, members[tenant.pk], run).save()
        operator = make_user("operator", is_staff=True)
        operator_token = api_token(None, operator, run)
        operator_token.save()
        world = World(a, b, members, make_user("spare"), run, spare_run, operator_token)
        yield world
        Tenant.objects.filter(pk__in=[a.pk, b.pk]).delete()
        MigrationRun.objects.filter(pk__in=[run.pk, spare_run.pk]).delete()
        User.objects.filter(email__endswith="@rls.test").delete()
