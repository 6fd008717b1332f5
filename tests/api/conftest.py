"""API test fixtures: clients with a real bearer token per role, seeded parent rows."""

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from shared_apps.accounts.models import Role, User
from shared_apps.accounts.services import api_token_create
from tests.factories import tenant_data

ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


def host(tenant) -> str:
    return f"{tenant.slug}.localhost"


def bearer_client(tenant, user: User, *, on_host=None) -> APIClient:
    """A client for `on_host` (default: the tenant's host) with a token of `user` in `tenant`."""
    _, key = api_token_create(user=user, tenant=tenant, name="test")
    client = APIClient(HTTP_HOST=host(on_host or tenant))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.user = user
    return client


@pytest.fixture
def client_for(db):
    """`client_for(tenant, role)`: a new member with `role` and a client holding their token."""

    def make(tenant, role=Role.OWNER, *, on_host=None):
        user = tenant_data.member_make(tenant, role).user
        return bearer_client(tenant, user, on_host=on_host)

    return make


@pytest.fixture
def acme_owner(acme) -> User:
    return User.objects.get(email="owner@acme.test")


@pytest.fixture
def acme_data(acme, acme_owner):
    with tenant_context(acme):
        return tenant_data.seed(acme, acme_owner)


@pytest.fixture
def globex_data(globex):
    with tenant_context(globex):
        return tenant_data.seed(globex, User.objects.get(email="owner@globex.test"))
