"""Fixtures: two long-lived tenants for the session (fast), fresh ones where a test needs it."""

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from config.celery_app import app
from rls.tenant_roles import tenant_role_provision
from shared_apps.accounts.models import Membership, Role, User
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.services import schema_exists, tenant_create
from shared_apps.tenants.template import template_get
from shared_apps.tenants.validation import schema_name_for_slug

SESSION_TENANTS = {"acme": "Acme Inc.", "globex": "Globex Corporation"}


def ensure_session_tenant(slug: str) -> Tenant:
    """Return the active session tenant `slug`, rebuilding only what a flush removed.

    Transactional tests end with a flush that truncates the public tables, but tenant schemas
    survive it; re-adopting the schema keeps the suite from rebuilding it for every test.
    """
    tenant = Tenant.objects.filter(slug=slug, status=Tenant.Status.ACTIVE).first()
    if tenant is not None:
        return tenant
    Tenant.objects.filter(slug=slug).delete()
    schema_name = schema_name_for_slug(slug)
    if not schema_exists(schema_name):
        return tenant_create(
            slug=slug, name=SESSION_TENANTS[slug], owner_email=f"owner@{slug}.test"
        )
    tenant = Tenant.objects.create(
        slug=slug,
        name=SESSION_TENANTS[slug],
        schema_name=schema_name,
        status=Tenant.Status.ACTIVE,
    )
    with connection.cursor() as cursor:  # the surviving schema now belongs to this tenant's role
        tenant_role_provision(
            tenant_id=tenant.pk, schema_name=schema_name, cursor=cursor, adopt=True
        )
    Domain.objects.create(domain=f"{slug}.localhost", tenant=tenant, is_primary=True)
    owner, _ = User.objects.get_or_create(email=f"owner@{slug}.test")
    Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    return tenant


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build the session tenants' schemas once, committed, so every test can use them."""
    with django_db_blocker.unblock():
        for slug in SESSION_TENANTS:
            ensure_session_tenant(slug)
        connection.set_schema_to_public()
        # The tenant template must be committed (pg_dump reads it): build it outside any test.
        template_get()


@pytest.fixture
def acme(db) -> Tenant:
    return ensure_session_tenant("acme")


@pytest.fixture
def globex(db) -> Tenant:
    return ensure_session_tenant("globex")


@pytest.fixture
def in_tenant():
    """Run a block inside a tenant's schema and return to public afterwards."""

    def enter(tenant: Tenant):
        return tenant_context(tenant)

    yield enter
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    yield
    connection.set_schema_to_public()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """One real Celery worker for the session (queues `celery` and `operator`).

    Tasks see only committed rows: tests that use it need `django_db(transaction=True)`.
    """
    from tests.celery_worker import WorkerProcess

    app.control.purge()
    worker = WorkerProcess().start()
    yield worker
    worker.stop()
