"""The tenant context is per transaction: set by every django-tenants switch, never left behind."""

from django.db import connection, transaction
from django_tenants.utils import schema_context, tenant_context

from rls import tenant_scope
from rls.diagnostics import tenant_visibility


def setting() -> str:
    """Return `app.current_tenant_id` as a statement that needs no context sees it."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")  # warm up: a context-free statement
        cursor.execute("SELECT current_setting('app.current_tenant_id', true)")
        return cursor.fetchone()[0] or ""


def visible(world) -> set[str]:
    ours = {str(world.a.pk), str(world.b.pk)}
    return set(tenant_visibility()["tenants"]) & ours


def test_autocommit_statements_carry_the_context_and_leave_nothing(app_db, world):
    with tenant_scope(world.a):
        assert setting() == str(world.a.pk)
        assert visible(world) == {str(world.a.pk)}
    assert setting() == ""
    assert visible(world) == set()


def test_a_transaction_carries_its_tenant_and_switches_inside(app_db, world):
    with transaction.atomic():
        with tenant_scope(world.a):
            assert visible(world) == {str(world.a.pk)}
        with tenant_scope(world.b):
            assert visible(world) == {str(world.b.pk)}
        assert visible(world) == set()
    assert setting() == ""


def test_rollback_to_savepoint_does_not_leave_the_previous_tenant(app_db, world):
    with transaction.atomic():
        with tenant_scope(world.a):
            savepoint = transaction.savepoint()  # taken while the transaction carries A
        with tenant_scope(world.b):
            assert visible(world) == {str(world.b.pk)}
            transaction.savepoint_rollback(savepoint)  # PostgreSQL reverts the setting to A
            assert visible(world) == {str(world.b.pk)}


def test_tenant_context_and_schema_context_set_the_tenant(app_db, world):
    with tenant_context(world.a):
        assert visible(world) == {str(world.a.pk)}
    with schema_context(world.b.schema_name):
        assert visible(world) == {str(world.b.pk)}
    with transaction.atomic(), schema_context(world.a.schema_name):
        assert visible(world) == {str(world.a.pk)}
    assert visible(world) == set()


def test_tenant_scope_overrides_the_routed_tenant(app_db, world):
    with tenant_context(world.a), tenant_scope(world.b):
        assert visible(world) == {str(world.b.pk)}
    with tenant_context(world.a), tenant_scope(None):
        assert visible(world) == set()


def test_a_tenant_transaction_chooses_its_schema_whatever_the_session_says(app_db, world):
    """Behind PgBouncer the session's search_path may have been set by another client."""
    with tenant_context(world.a), connection.cursor() as cursor:
        cursor.execute("SHOW search_path")  # django-tenants' once-per-switch session SET
        cursor.execute(f'SET search_path TO "{world.b.schema_name}"')  # someone else's session
        cursor.execute("SELECT current_setting('search_path')")  # runs in a tenant transaction
        search_path = cursor.fetchone()[0]
    assert world.a.schema_name in search_path
    assert world.b.schema_name not in search_path
