"""Each RLS table, as the application role: a tenant sees and changes only its own rows."""

import pytest
from django.contrib.auth import authenticate
from django.db import DatabaseError, connection, transaction

from rls import all_tenants_scope, operator_scope, tenant_scope
from rls.operations import ApplyRowLevelSecurity
from rls.policies import POLICIES
from shared_apps.accounts.models import User
from shared_apps.migrator.engine.state import read_applied_by_function
from tests.rls.conftest import FACTORIES, PASSWORD

TABLES = sorted(FACTORIES)


def tenant_ids(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id FROM {table}")
        return {str(row[0]) for row in cursor.fetchall()}


def row_count(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert(table: str, tenant, world) -> None:
    FACTORIES[table](tenant, world.spare, world.spare_run).save(force_insert=True)


@pytest.mark.parametrize("table", TABLES)
def test_select_under_a_returns_only_a_rows(app_db, world, table):
    with tenant_scope(world.a):
        assert tenant_ids(table) == {str(world.a.pk)}
    with tenant_scope(world.b):
        assert tenant_ids(table) == {str(world.b.pk)}


@pytest.mark.parametrize("table", TABLES)
def test_update_and_delete_of_b_rows_affect_nothing_under_a(app_db, world, table):
    b, a = str(world.b.pk), str(world.a.pk)
    with tenant_scope(world.a), transaction.atomic():
        touch = f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = %s"
        assert row_count(touch, [b]) == 0
        assert row_count(f"DELETE FROM {table} WHERE tenant_id = %s", [b]) == 0
        assert row_count(touch, [a]) == 1  # the same statement does reach A's own row
        transaction.set_rollback(True)
    with tenant_scope(world.b):
        assert tenant_ids(table) == {b}


@pytest.mark.parametrize("table", TABLES)
def test_insert_with_b_tenant_is_rejected_under_a(app_db, world, table):
    with tenant_scope(world.a):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            insert(table, world.b, world)
        with transaction.atomic():
            insert(table, world.a, world)  # A's own row is accepted
            transaction.set_rollback(True)


@pytest.mark.parametrize("table", TABLES)
def test_without_context_nothing_is_visible_or_insertable(app_db, world, table):
    assert row_count(f"SELECT 1 FROM {table}") == 0
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        insert(table, world.a, world)


def test_inside_a_tenant_only_its_members_are_visible_users(app_db, world):
    member_a, member_b = world.members[world.a.pk], world.members[world.b.pk]
    ours = User.objects.filter(pk__in=[member_a.pk, member_b.pk, world.spare.pk])
    with tenant_scope(world.a):
        assert list(ours.values_list("pk", flat=True)) == [member_a.pk]
        assert ours.filter(pk=member_b.pk).update(full_name="changed from A") == 0
        assert authenticate(None, email=member_a.email, password=PASSWORD) == member_a
        assert authenticate(None, email=member_b.email, password=PASSWORD) is None
    # No tenant (the base domain: operators, login, sign-up): every user is visible.
    assert ours.count() == 3
    assert authenticate(None, email=member_b.email, password=PASSWORD) == member_b


def test_operator_tokens_are_visible_only_inside_operator_scope(app_db, world):
    operator_tokens = "SELECT 1 FROM accounts_apitoken WHERE tenant_id IS NULL"
    assert row_count(operator_tokens) == 0
    with tenant_scope(world.a):
        assert row_count(operator_tokens) == 0
    with operator_scope():
        assert row_count(operator_tokens) >= 1
        assert row_count("SELECT 1 FROM accounts_apitoken WHERE tenant_id IS NOT NULL") == 0
    assert row_count(operator_tokens) == 0


def rls_state(table: str) -> tuple[bool, bool, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity,"
            " (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid)"
            " FROM pg_class c WHERE oid = %s::regclass",
            [table],
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_apply_row_level_security_is_reversible_and_public_only():
    operation = ApplyRowLevelSecurity(table="accounts_invitation")
    declared = len(POLICIES["accounts_invitation"].policies)  # tenant isolation + operator view
    assert rls_state("accounts_invitation") == (True, True, declared)
    with connection.schema_editor() as editor:  # inside the test's transaction: rolled back
        operation.database_backwards("accounts", editor, None, None)
        assert rls_state("accounts_invitation") == (False, False, 0)
        operation.database_forwards("accounts", editor, None, None)
        assert rls_state("accounts_invitation") == (True, True, declared)
        connection.set_schema("t_acme")
        operation.database_backwards("accounts", editor, None, None)  # not in a tenant schema
        connection.set_schema_to_public()
    assert rls_state("accounts_invitation") == (True, True, declared)


@pytest.mark.parametrize("table", TABLES)
def test_the_all_tenants_scope_sees_every_tenants_rows_and_nothing_else_does(app_db, world, table):
    a, b = str(world.a.pk), str(world.b.pk)
    with operator_scope():
        assert tenant_ids(table) & {a, b} == set()
    with tenant_scope(world.a):
        assert tenant_ids(table) == {a}
    with all_tenants_scope(actor="test", reason="RLS test"):
        assert tenant_ids(table) >= {a, b}
    assert tenant_ids(table) == set()


def user_id_for_email(email: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.accounts_user_id_for_email(%s)", [email])
        return cursor.fetchone()[0]


def test_a_tenant_finds_a_non_member_by_email_as_its_id_only(app_db, world):
    spare = world.spare
    with tenant_scope(world.a):
        assert not User.objects.filter(email=spare.email).exists()  # not a member of A
        assert user_id_for_email(spare.email) == spare.pk
        assert user_id_for_email("nobody@rls.test") is None
        with transaction.atomic():
            User.objects.filter(pk=world.members[world.a.pk].pk).update(is_active=False)
            assert user_id_for_email(world.members[world.a.pk].email) is None
            transaction.set_rollback(True)


def test_the_applied_migrations_function_reads_tenant_schemas_only(app_db, acme):
    with tenant_scope(acme):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            row_count("SELECT 1 FROM t_globex.django_migrations")
        applied = read_applied_by_function(connection, ["t_acme", "t_globex", "public"])
    assert applied["t_acme"] and applied["t_globex"]
    assert applied["public"] == frozenset()  # no tenant's schema: nothing read
