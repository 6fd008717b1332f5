"""Requests for tenant A then B on one pooled connection: B never sees A's rows."""

import pytest
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from rls.diagnostics import tenant_visibility
from shared_apps.accounts.models import User


def probe(request):
    """Answer what this request's tenant context can see."""
    data = tenant_visibility()
    data["users"] = sorted(str(pk) for pk in User.objects.values_list("pk", flat=True))
    return JsonResponse(data)


urlpatterns = [path("rls-probe/", probe)]


@pytest.mark.parametrize("atomic_requests", [False, True], ids=["autocommit", "atomic"])
def test_second_request_on_the_same_connection_sees_only_its_tenant(
    app_db, app_role, world, client, settings, atomic_requests
):
    settings.ROOT_URLCONF = __name__
    connection.settings_dict["ATOMIC_REQUESTS"] = atomic_requests
    try:
        first = client.get("/rls-probe/", HTTP_HOST=world.host(world.a)).json()
        second = client.get("/rls-probe/", HTTP_HOST=world.host(world.b)).json()
    finally:
        connection.settings_dict["ATOMIC_REQUESTS"] = False
    assert first["pid"] == second["pid"], "the two requests must share one connection"
    assert first["role"] == second["role"] == app_role.name
    assert first["tenants"] == [str(world.a.pk)]
    assert second["tenants"] == [str(world.b.pk)]
    member_a, member_b = world.members[world.a.pk], world.members[world.b.pk]
    assert str(member_a.pk) in first["users"] and str(member_b.pk) not in first["users"]
    assert str(member_b.pk) in second["users"] and str(member_a.pk) not in second["users"]
    with connection.cursor() as cursor:  # and the pooled session carries no tenant afterwards
        cursor.execute("SELECT pg_backend_pid(), current_setting('app.current_tenant_id', true)")
        assert cursor.fetchone() in {(first["pid"], ""), (first["pid"], None)}
