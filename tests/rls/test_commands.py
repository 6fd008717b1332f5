"""`setup_db_roles` and `rls_check`, and the system check, against the test database."""

import io
import uuid

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from rls.diagnostics import tenant_visibility
from rls.policies import POLICIES
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
