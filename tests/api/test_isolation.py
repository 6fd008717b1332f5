"""Isolation sweep: for every list and detail endpoint, one tenant never sees another's rows."""

import pytest
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tests.api.conftest import bearer_client
from tests.api.resources import RESOURCES

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_rows(acme, globex, acme_data, globex_data, client_for):
    """`(resource) → (acme client, acme row, globex row)`, made on demand."""

    def make(resource):
        client = client_for(acme, Role.OWNER)
        with tenant_context(acme):
            mine = resource.make(acme_data, client.user)
        with tenant_context(globex):
            theirs = resource.make(globex_data, globex_data.owner)
        return client, mine, theirs

    return make


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_own_host_lists_and_shows_only_own_rows(resource, acme_data, globex_data, two_rows):
    client, mine, theirs = two_rows(resource)
    listed = {
        item["id"]
        for item in client.get(f"{resource.path(acme_data)}?page_size=200").json()["results"]
    }
    assert str(mine.pk) in listed
    assert str(theirs.pk) not in listed
    assert client.get(f"{resource.path(acme_data)}{theirs.pk}/").status_code == 404
    # Nested collections: the other tenant's parent id is simply not found here.
    if resource.path(globex_data) != resource.path(acme_data):
        assert client.get(resource.path(globex_data)).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_token_on_another_tenants_host_is_refused(resource, acme, globex, globex_data, two_rows):
    client, _, theirs = two_rows(resource)
    trespasser = bearer_client(acme, client.user, on_host=globex)
    for path in (resource.path(globex_data), f"{resource.path(globex_data)}{theirs.pk}/"):
        response = trespasser.get(path)
        assert response.status_code == 401, path
        assert "results" not in response.json()
    assert trespasser.post(resource.path(globex_data), {}, format="json").status_code == 401


def test_operator_token_is_refused_on_tenant_hosts(acme):
    from shared_apps.accounts.services import api_token_create
    from tests.factories.tenant_data import user_make

    staff = user_make(is_staff=True)
    _, key = api_token_create(user=staff, tenant=None, name="ops")
    from rest_framework.test import APIClient

    response = APIClient(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {key}").get(
        "/api/tasks/"
    )
    assert response.status_code == 401


def test_acme_session_login_gives_no_globex_data(acme, globex, globex_data):
    from rest_framework.test import APIClient

    from shared_apps.accounts.models import User

    client = APIClient(HTTP_HOST="globex.localhost")
    client.force_login(User.objects.get(email="owner@acme.test"))
    response = client.get("/api/projects/")
    assert response.status_code == 403
    assert "results" not in response.json()
