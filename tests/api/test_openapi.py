"""The OpenAPI documents validate, describe permissions, and the API honours them (schemathesis).

The schemathesis run covers every tenant operation with a few generated requests each (positive
and negative data), sent in-process through the whole WSGI stack (host routing, auth, RLS),
authenticated as a tenant admin. Any 5xx or response outside the schema fails the test.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django_tenants.utils import tenant_context
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from openapi_spec_validator import validate
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared_apps.accounts.models import Role
from tests.api.conftest import bearer_client
from tests.factories import tenant_data as f


def tenant_schema() -> dict:
    raw = SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
    return json.loads(json.dumps(raw, default=str))


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["acme.localhost", "localhost"])
def test_served_schema_is_valid_openapi_3(acme, host):
    response = APIClient(HTTP_HOST=host).get("/api/schema/?format=json")
    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    assert document["openapi"].startswith("3.")
    has_tenant_paths = "/api/tasks/" in document["paths"]
    assert has_tenant_paths == (host != "localhost")  # the base domain describes the public API


@pytest.mark.django_db
def test_every_tenant_operation_documents_its_permissions(acme):
    document = json.loads(
        APIClient(HTTP_HOST="acme.localhost").get("/api/schema/?format=json").content
    )
    operations = [
        (path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path not in ("/api/auth/token/",)
    ]
    assert len(operations) > 80
    for path, op in operations:
        assert "**Permissions:**" in op["description"], path


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["acme.localhost", "localhost"])
def test_swagger_ui_is_served_from_the_sidecar(acme, host):
    response = APIClient(HTTP_HOST=host).get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui-dist/swagger-ui-bundle.js" in response.content
    assert b"/api/schema/" in response.content


schema = schemathesis.openapi.from_dict(tenant_schema())
DJANGO_WSGI = get_wsgi_application()


def WSGI_APP(environ, start_response):  # noqa: N802 - a WSGI app, named like one
    """Django's WSGI app, keeping the test's connection open (as django.test.Client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = DJANGO_WSGI(environ, start_response)
        body = list(response)
        response.close()
        return body
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key_and_rows(acme, acme_owner):
    """A tenant admin's client plus real ids to put in path parameters."""
    client = bearer_client(acme, f.member_make(acme, Role.ADMIN).user)
    with tenant_context(acme):
        data = f.seed(acme, acme_owner)
    parents = {"task": data.task.pk, "session": data.session.pk, "team": data.team.pk}
    return client._credentials["HTTP_AUTHORIZATION"], {k: str(v) for k, v in parents.items()}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(case, admin_key_and_rows):
    authorization, parents = admin_key_and_rows
    for name, value in parents.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    case.call_and_validate(
        base_url="http://acme.localhost",
        app=WSGI_APP,
        headers={"Authorization": authorization},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
