"""A fleet of 20 tenants (plus the session's acme and globex) and helpers to inspect it."""

import pytest
from django.core.management import call_command
from django.db import connection

from shared_apps.migrator.engine.state import read_applied
from shared_apps.tenants.models import Tenant
from tests.conftest import SESSION_TENANTS, ensure_session_tenant

FLEET = {f"fleet-{number:02d}": f"Fleet {number:02d}" for number in range(1, 21)}
SESSION_TENANTS.update(FLEET)
EXECUTORS = ["standard", "parallel", "celery"]


@pytest.fixture
def fleet(transactional_db) -> list[Tenant]:
    """Every active tenant (20 fleet tenants + acme + globex), all at the latest migrations."""
    tenants = [ensure_session_tenant(slug) for slug in [*FLEET, "acme", "globex"]]
    call_command("migrate_schemas", "--tenant", executor="standard", verbosity=0)
    return tenants


@pytest.fixture
def executor(request):
    """The executor codename under test; the Celery one gets a real worker process."""
    if request.param == "celery":
        request.getfixturevalue("celery_worker")
    return request.param


def migrate(*args, **options) -> None:
    options.setdefault("verbosity", 0)
    call_command("migrate_schemas", "--tenant", *args, **options)


def applied(schema: str) -> set[tuple[str, str]]:
    return set(read_applied(connection, [schema])[schema])


def has_constraint(schema: str, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = %s AND c.conname = %s",
            [schema, name],
        )
        return cursor.fetchone() is not None


def has_column(schema: str, table: str, column: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s AND column_name = %s",
            [schema, table, column],
        )
        return cursor.fetchone() is not None


def has_index(schema: str, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s", [schema, name]
        )
        return cursor.fetchone() is not None
