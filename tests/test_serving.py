"""The suite serves requests as the application role, and fails a request served otherwise."""

import pytest
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from rls.sql import quote
from tests import serving


def whoami(request):
    """Answer which role serves this request, and whether RLS applies to it."""
    with connection.cursor() as cursor:
        cursor.execute(serving.PRIVILEGED_SQL)
        role, privileged = cursor.fetchone()
    return JsonResponse({"role": role, "privileged": privileged})


urlpatterns = [path("whoami/", whoami)]


@pytest.fixture
def probe(settings, acme):
    settings.ROOT_URLCONF = __name__
    return {"HTTP_HOST": "acme.localhost"}


def test_a_request_is_served_as_the_application_role(client, probe, app_role):
    assert client.get("/whoami/", **probe).json() == {"role": app_role.name, "privileged": False}
    with connection.cursor() as cursor:  # and the fixtures' connection is the owner again after
        cursor.execute(serving.PRIVILEGED_SQL)
        assert cursor.fetchone()[1] is True


def test_a_request_served_by_the_superuser_fails_the_test(client, probe):
    with serving.serving(None), pytest.raises(serving.ServedByPrivilegedRole, match="superuser"):
        client.get("/whoami/", **probe)


def test_a_request_served_by_a_bypassrls_role_fails_the_test(client, probe, app_role):
    name = f"{connection.settings_dict['NAME']}_bypass"[:63]  # rolled back with the test
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {quote(name)} NOSUPERUSER BYPASSRLS")
        cursor.execute(f"GRANT {quote(app_role.name)} TO {quote(name)}")
    with serving.serving(name), pytest.raises(serving.ServedByPrivilegedRole, match=name):
        client.get("/whoami/", **probe)
