"""`setup_db_roles` and `rls_check`, and the system check, against the test database."""

import io
import uuid

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection
from django.http import JsonResponse
from django.urls import path
from django_tenants.utils import tenant_context

from rls.diagnostics import tenant_visibility
from rls.policies import POLICIES
from rls.tenant_roles import group_role_name, role_prefix, tenant_role_name
from shared_apps.tenants.services import tenant_create, tenant_delete
from tenant_apps.tracker.models import TaskStatus
from tests.rls.conftest import AppRole, connected_as


def superuser_url() -> str:
    db = connection.settings_dict
    return AppRole(db["USER"], db.get("PASSWORD") or "").url()


def rls_check(settings, url: str) -> tuple[str, str]:
    settings.DATABASE_URL = url
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("rls_check", stdout=out, stderr=err)
    except CommandError as exc:
        raise CommandError(f"{exc}\n{err.getvalue()}") from exc
    return out.getvalue(), err.getvalue()


def test_rls_check_passes_on_the_real_schema_as_the_app_role(app_role, settings):
    out, _ = rls_check(settings, app_role.url())
    for table in POLICIES:
        assert f"{table} " in out
    assert f"the serving role {app_role.name} is subject to it" in out


@pytest.mark.parametrize(
    ("ddl", "problem"),
    [
        ("", "RLS not enabled, RLS not forced, no policy"),
        (
            "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON {t} USING (true)",
            "RLS not forced",
        ),
        (
            "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
            "no policy",
        ),
    ],
    ids=["bare", "not-forced", "no-policy"],
)
def test_rls_check_fails_on_a_tenant_table_without_full_rls(
    app_role, settings, django_db_blocker, ddl, problem
):
    table = f"rls_probe_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE public.{table} (id int, tenant_id uuid)")
        try:
            if ddl:
                cursor.execute(ddl.format(t=table))
            with pytest.raises(CommandError, match=f"{table}: {problem}\\.") as failure:
                rls_check(settings, app_role.url())
        finally:
            cursor.execute(f"DROP TABLE public.{table}")
    assert "rls/policies.py" in str(failure.value)
    rls_check(settings, app_role.url())  # and passes again once the table is gone


WIDENED = {
    # id: (grant as the owner, undo, the finding rls_check must report)
    "tenant-schema-to-serving-role": (
        "GRANT USAGE ON SCHEMA {b_schema} TO {app}",
        "REVOKE USAGE ON SCHEMA {b_schema} FROM {app}",
        "rls.E005 The serving role .* has privileges in schema {b_schema}",
    ),
    "tenant-schema-to-another-tenant": (
        "GRANT USAGE ON SCHEMA {b_schema} TO {a_role}",
        "REVOKE USAGE ON SCHEMA {b_schema} FROM {a_role}",
        "rls.E007 {a_role} has privileges in schema {b_schema}",
    ),
    "tenant-table-to-another-tenant": (
        "GRANT SELECT ON {b_schema}.probe TO {a_role}",
        "REVOKE SELECT ON {b_schema}.probe FROM {a_role}",
        "rls.E007 {a_role} has privileges in schema {b_schema}",
    ),
    "tenant-role-in-another": (
        "GRANT {b_role} TO {a_role}",
        "REVOKE {b_role} FROM {a_role}",
        "rls.E007 {a_role} is a member of {b_role}",
    ),
    "inherit": ("ALTER ROLE {app} INHERIT", "ALTER ROLE {app} NOINHERIT", "rls.E006"),
    "temp": (
        "GRANT TEMPORARY ON DATABASE {db} TO {app}",
        "REVOKE TEMPORARY ON DATABASE {db} FROM {app}",
        "rls.E009",
    ),
    "set-config": (
        "GRANT EXECUTE ON FUNCTION set_config(text, text, boolean) TO {app}",
        "REVOKE EXECUTE ON FUNCTION set_config(text, text, boolean) FROM {app}",
        "rls.E010 .* may call pg_catalog.set_config",
    ),
    "plpgsql": (
        "GRANT USAGE ON LANGUAGE plpgsql TO {app}",
        "REVOKE USAGE ON LANGUAGE plpgsql FROM {app}",
        "rls.E010 .* may run plpgsql",
    ),
    "domain-update": (
        "GRANT UPDATE ON tenants_domain TO {app}",
        "REVOKE UPDATE ON tenants_domain FROM {app}",
        "rls.E011 .* may UPDATE tenants_domain",
    ),
    "domain-delete-by-tenants": (
        "GRANT DELETE ON tenants_domain TO {group}",
        "REVOKE DELETE ON tenants_domain FROM {group}",
        "rls.E011 .* may DELETE tenants_domain",
    ),
    "sessions-readable": (
        "GRANT SELECT ON django_session TO {app}",
        "REVOKE SELECT ON django_session FROM {app}",
        "rls.E011 .* may SELECT django_session",
    ),
    "superuser-guard": (
        "ALTER TABLE accounts_user DISABLE TRIGGER accounts_user_superuser_guard",
        "ALTER TABLE accounts_user ENABLE TRIGGER accounts_user_superuser_guard",
        "rls.E012",
    ),
}


@pytest.mark.parametrize("case", WIDENED)
def test_rls_check_fails_on_a_widened_grant(app_role, world, settings, django_db_blocker, case):
    prefix = role_prefix()
    names = {
        "app": app_role.name,
        "a_role": tenant_role_name(world.a.pk, prefix=prefix),
        "b_role": tenant_role_name(world.b.pk, prefix=prefix),
        "b_schema": world.b.schema_name,
        "group": group_role_name(prefix),
        "db": connection.settings_dict["NAME"],
    }
    grant, undo, finding = (text.format(**names) for text in WIDENED[case])
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # B's schema, so that there is a tenant schema to widen a grant on.
        cursor.execute(
            f"CREATE SCHEMA {names['b_schema']}; CREATE TABLE {names['b_schema']}.probe ()"
        )
        try:
            rls_check(settings, app_role.url())  # passes before
            cursor.execute(grant)
            try:
                with pytest.raises(CommandError, match=finding):
                    rls_check(settings, app_role.url())
            finally:
                cursor.execute(undo)
        finally:
            cursor.execute(f"DROP SCHEMA {names['b_schema']} CASCADE")
    rls_check(settings, app_role.url())  # and passes again once undone


def test_a_superuser_serving_role_is_refused_with_how_to_fix(settings, django_db_blocker):
    with pytest.raises(CommandError, match="is a superuser") as failure:
        rls_check(settings, superuser_url())
    assert "manage.py setup_db_roles" in str(failure.value)
    assert "DATABASE_URL" in str(failure.value)
    with django_db_blocker.unblock():
        settings.DEBUG = False
        strict = [
            m
            for m in run_checks(databases=["default"], tags=["database"])
            if m.id.startswith("rls.")
        ]
        settings.DEBUG = True
        lenient = [
            m
            for m in run_checks(databases=["default"], tags=["database"])
            if m.id.startswith("rls.")
        ]
    assert [(type(m), m.id) for m in strict] == [(Error, "rls.E002")]
    assert "setup_db_roles" in strict[0].hint
    assert [(type(m), m.id) for m in lenient] == [(Warning, "rls.W002")]


def test_the_system_check_passes_for_the_app_role(app_role, settings, django_db_blocker):
    settings.DATABASE_URL = app_role.url()
    with django_db_blocker.unblock():
        assert [
            m
            for m in run_checks(databases=["default"], tags=["database"])
            if m.id.startswith("rls.")
        ] == []
    assert [m for m in run_checks() if m.id.startswith("rls.")] == []  # no database: not run


def test_setup_db_roles_creates_the_role_then_changes_nothing(settings, django_db_blocker):
    role = f"{connection.settings_dict['NAME']}_probe"[:63]
    settings.APP_DB_ROLE, settings.APP_DB_PASSWORD = role, "probe-password"

    def setup(*args) -> str:
        out = io.StringIO()
        call_command("setup_db_roles", *args, stdout=out, stderr=io.StringIO())
        return out.getvalue()

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        try:
            planned = setup("--plan")
            cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [role])
            assert "would create role" in planned and cursor.fetchone() == (0,)
            first = setup()
            second = setup()
            cursor.execute(
                "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole"
                " FROM pg_roles WHERE rolname = %s",
                [role],
            )
            assert cursor.fetchone() == (True, False, False, False, False)
        finally:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
    assert f"create role {role}" in first and "grant USAGE on schema public" in first
    assert "default privileges: public tables" in first
    assert second.strip() == "No changes."


def test_a_table_added_later_reaches_its_tenant_only(app_role, django_db_blocker):
    slugs = [f"rlsadd{uuid.uuid4().hex[:6]}{tag}" for tag in "ab"]
    with django_db_blocker.unblock():
        a, b = (tenant_create(slug=slug, name=slug) for slug in slugs)
        try:
            with connection.cursor() as cursor:  # as the owner, like a fleet migration
                cursor.execute(f'CREATE TABLE "{a.schema_name}".probe_later (id int)')
            with connected_as(app_role.name, app_role.password):
                with tenant_context(a), connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM probe_later")
                    assert cursor.fetchone() == (0,)
                with (
                    tenant_context(b),
                    connection.cursor() as cursor,
                    pytest.raises(ProgrammingError, match="permission denied for schema"),
                ):
                    cursor.execute(f'SELECT count(*) FROM "{a.schema_name}".probe_later')
        finally:
            connection.set_schema_to_public()
            for tenant in (a, b):
                tenant_delete(tenant=tenant, backup=False)


def late_probe(request):
    """Answer what a tenant request sees: memberships (public) and seeded rows (its schema)."""
    return JsonResponse({**tenant_visibility(), "statuses": TaskStatus.objects.count()})


urlpatterns = [path("rls-late-probe/", late_probe)]


def test_the_app_role_serves_a_tenant_created_after_setup(
    app_role, settings, client, django_db_blocker
):
    settings.ROOT_URLCONF = __name__
    slug = f"rlslate{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        tenant = tenant_create(slug=slug, name="Late", owner_email=f"owner@{slug}.test")
        try:
            with connected_as(app_role.name, app_role.password):
                response = client.get(
                    "/rls-late-probe/", HTTP_HOST=f"{slug}.{settings.TENANT_BASE_DOMAIN}"
                )
        finally:
            connection.set_schema_to_public()
            tenant_delete(tenant=tenant, backup=False)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["role"] == app_role.name
    assert body["tenants"] == [str(tenant.pk)]
    assert body["statuses"] == 3
