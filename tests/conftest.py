"""Fixtures: two long-lived tenants for the session (fast), fresh ones where a test needs it.

Every request a test makes is served as the application role (`serve_as_app_role`, see
tests/serving.py); the superuser only writes fixtures and runs DDL and operator jobs.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from config.celery_app import app
from rls.sql import quote
from rls.tenant_roles import tenant_role_provision
from shared_apps.accounts.models import Membership, Role, User
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.services import schema_exists, tenant_create
from shared_apps.tenants.template import template_get
from shared_apps.tenants.validation import schema_name_for_slug
from tests import serving
from tests.serving import PASSWORD, AppRole, connected_as

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


@pytest.fixture(scope="session")
def app_role(django_db_setup, django_db_blocker) -> AppRole:
    """Create the application role with `setup_db_roles` (run as the owner, here the superuser).

    Roles are cluster-wide, so the name is derived from the test database's name.
    """
    role = AppRole(f"{connection.settings_dict['NAME']}_app"[:63], PASSWORD)
    previous = settings.APP_DB_ROLE, settings.APP_DB_PASSWORD
    settings.APP_DB_ROLE, settings.APP_DB_PASSWORD = role.name, role.password
    with django_db_blocker.unblock():
        call_command("setup_db_roles", stdout=io.StringIO())
        with connection.cursor() as cursor:  # SET ROLE needs membership unless superuser
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                cursor.execute(f"GRANT {quote(role.name)} TO current_user")
    yield role
    settings.APP_DB_ROLE, settings.APP_DB_PASSWORD = previous


@pytest.fixture
def app_db(app_role, django_db_blocker):
    """The default connection as the application role, pooled (CONN_MAX_AGE) like production."""
    with (
        django_db_blocker.unblock(),
        connected_as(app_role.name, app_role.password, CONN_MAX_AGE=600),
    ):
        with connection.cursor() as cursor:
            cursor.execute(  # session_user: inside a tenant, current_user is the tenant's role
                "SELECT session_user, rolsuper OR rolbypassrls FROM pg_roles"
                " WHERE rolname = session_user"
            )
            assert cursor.fetchone() == (app_role.name, False), "not the application role"
        yield connection


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences"}


def uses_database(item) -> bool:
    """Return whether the test may touch the database (a django_db mark or a db fixture)."""
    fixtures = set(item.fixturenames)
    return bool(fixtures & DATABASE_FIXTURES or item.get_closest_marker("django_db"))


def pytest_collection_modifyitems(items):
    # The application role must exist before the test's transaction opens (a role created
    # inside it would roll back with it): set it up first, as a session fixture.
    for item in items:
        if uses_database(item) and "app_role" not in item.fixturenames:
            item.fixturenames.insert(0, "app_role")


@pytest.fixture(autouse=True)
def serve_as_app_role(request):
    """Serve every request of a database test as the application role, and check it was.

    A request served by a superuser or BYPASSRLS role fails the test (tests/serving.py).
    """
    if not uses_database(request.node):
        yield None
        return
    role = request.getfixturevalue("app_role")
    serving.install()
    with serving.serving(role.name) as state:
        yield state


@pytest.fixture(autouse=True)
def _fresh_login_throttles(request):
    """Start each database test with no login attempts counted (they live in Redis)."""
    yield
    if uses_database(request.node):
        throttles_reset()


def throttles_reset() -> None:
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*throttle_*"))
    if keys:
        client.delete(*keys)


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
def celery_worker(django_db_setup, django_db_blocker, app_role):
    """Real Celery workers for the session, split by role as `make run` splits them.

    The returned worker consumes `operator` (onboarding, fleet runs) as the owner; a second one
    consumes `celery` (tenant-scoped tasks) as the application role. Tasks see only committed
    rows: tests that use them need `django_db(transaction=True)`.
    """
    from tests.celery_worker import WorkerProcess, database_url_for_tests

    app.control.purge()
    tenant_tasks = WorkerProcess(
        queues="celery",
        extra_env={
            "DATABASE_URL": app_role.url(),
            "DATABASE_OWNER_URL": database_url_for_tests(),
            "DJANGO_DB_ROLE": "app",
            "APP_DB_ROLE": app_role.name,
        },
    ).start()
    worker = WorkerProcess(queues="operator").start()
    yield worker
    worker.stop()
    tenant_tasks.stop()
