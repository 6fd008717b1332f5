"""CRUD and the permission matrix, for every resource and every role (from one table)."""

import pytest
from django_tenants.utils import tenant_context

from config.api.permissions import PERMISSION_MATRIX, required_role, role_at_least
from shared_apps.accounts.models import Role
from shared_apps.audit.models import AuditEvent
from tests.api.conftest import ROLES
from tests.api.resources import RESOURCES

pytestmark = pytest.mark.django_db


def test_every_matrix_entry_has_a_tested_resource():
    assert {r.name for r in RESOURCES} | {"me"} == set(PERMISSION_MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_permission_matrix(resource, role, acme, acme_data, client_for):
    access = PERMISSION_MATRIX[resource.name]
    client = client_for(acme, role)
    with tenant_context(acme):
        row = resource.make(acme_data, client.user)
        payload = resource.payload(acme_data)
    path = resource.path(acme_data)
    may_read, may_write = role_at_least(role, access.read), role_at_least(role, access.write)
    may_create = role_at_least(role, required_role(resource.name, "POST"))

    assert client.get(path).status_code == (200 if may_read else 403)
    assert client.get(f"{path}{row.pk}/").status_code == (200 if may_read else 403)
    assert client.post(path, payload, format="json").status_code == (201 if may_create else 403)
    if resource.change is not None:
        response = client.patch(f"{path}{row.pk}/", resource.change, format="json")
        assert response.status_code == (200 if may_write else 403)
    assert client.delete(f"{path}{row.pk}/").status_code == (204 if may_write else 403)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_crud_round_trip_is_audited(resource, acme, acme_data, client_for):
    client = client_for(acme, Role.OWNER)
    path = resource.path(acme_data)
    with tenant_context(acme):
        payload = resource.payload(acme_data)

    created = client.post(path, payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    for field, value in payload.items():
        if field != "email" or resource.name == "memberships":
            assert body[field] == value, field
    detail = f"{path}{body['id']}/"
    assert client.get(detail).json()["id"] == body["id"]
    assert body["id"] in [item["id"] for item in client.get(path).json()["results"]]

    if resource.change is not None:
        changed = client.patch(detail, resource.change, format="json")
        assert changed.status_code == 200, changed.json()
        assert {k: changed.json()[k] for k in resource.change} == resource.change
    assert client.delete(detail).status_code == 204

    events = AuditEvent.objects.filter(tenant=acme, target_id=body["id"], actor=client.user)
    verbs = [event.action.rsplit(".", 1)[1] for event in events.order_by("at")]
    assert len(verbs) == (3 if resource.change is not None else 2)
    assert verbs[0] in {"create", "add"} and verbs[-1] in {"delete", "remove", "revoke"}
    assert all(event.ip == "127.0.0.1" for event in events)


def test_non_member_is_forbidden_everywhere(acme, globex, acme_data):
    from shared_apps.accounts.models import User
    from tests.api.conftest import bearer_client

    # A globex owner holding a token *of acme* without an acme membership: authenticated, no role.
    stranger = User.objects.get(email="owner@globex.test")
    client = bearer_client(acme, stranger)
    for resource in RESOURCES:
        response = client.get(resource.path(acme_data))
        assert response.status_code == 403, resource.name
        assert "not a member" in response.json()["detail"]
    assert client.get("/api/me/").status_code == 403


def test_anonymous_is_401_with_bearer_challenge(acme):
    from rest_framework.test import APIClient

    response = APIClient(HTTP_HOST="acme.localhost").get("/api/tasks/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
