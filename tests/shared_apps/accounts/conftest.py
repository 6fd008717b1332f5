"""A freshly onboarded tenant, committed, whose requests are served as the application role.

`onboarded` runs `create_tenant` as the owner role (as an operator would) and keeps what it
printed and emailed; `people` then serves every request of the test as the application role
(`app_db`, tests/conftest.py) on that tenant's host, like production.
"""

import io
import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from rls.context import tenant_scope
from shared_apps.accounts.models import Membership, Role, User
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.provisioning import schema_drop

PASSWORD = "Correct-Horse-42"  # noqa: S105 - test database only
DOMAIN = "people.test"


def email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:6]}@{DOMAIN}"


@dataclass
class Onboarded:
    tenant: Tenant
    owner: User
    output: str
    welcome: list = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"{self.tenant.slug}.{settings.TENANT_BASE_DOMAIN}"

    def client(self, **extra) -> APIClient:
        return APIClient(HTTP_HOST=self.host, **extra)

    def browser(self, **extra) -> Client:
        """A client for the HTML pages (form posts, CSRF checked as a browser's would be)."""
        return Client(HTTP_HOST=self.host, enforce_csrf_checks=True, **extra)

    def token_client(self, address: str, password: str = PASSWORD) -> APIClient:
        """Sign in through the API (POST /api/auth/token/) and return a client with the key."""
        response = self.client().post(
            "/api/auth/token/", {"email": address, "password": password}, format="json"
        )
        assert response.status_code == 201, response.json()
        client = self.client()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['key']}")
        return client

    def scope(self):
        return tenant_scope(self.tenant)


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/accounts/reset/\S+/", text).group(0)


def onboard(django_db_blocker) -> Onboarded:
    """Run `create_tenant` as the owner role; return the tenant and what the owner was sent."""
    slug = f"ppl{uuid.uuid4().hex[:8]}"
    owner_email = email("owner")
    out = io.StringIO()
    with django_db_blocker.unblock():
        mail.outbox = []
        call_command(
            "create_tenant", slug=slug, name=f"People {slug}", owner_email=owner_email, stdout=out
        )
        connection.set_schema_to_public()
        tenant = Tenant.objects.get(slug=slug)
        owner = User.objects.get(email=owner_email)
    return Onboarded(tenant, owner, out.getvalue(), list(mail.outbox))


def user_create(django_db_blocker, tag: str, *, tenant=None, role=Role.MEMBER) -> User:
    """Commit a user (and their membership in `tenant`) as the owner role."""
    with django_db_blocker.unblock():
        user = User.objects.create_user(email(tag), PASSWORD)
        if tenant is not None:
            with tenant_scope(tenant):
                Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


def offboard(django_db_blocker, *tenants: Tenant) -> None:
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for tenant in tenants:
            schema_drop(schema_name=tenant.schema_name)
            Tenant.objects.filter(pk=tenant.pk).delete()
        User.objects.filter(email__endswith=f"@{DOMAIN}").delete()


@pytest.fixture
def onboarded(django_db_setup, django_db_blocker):
    """A tenant made by `create_tenant` whose owner has not chosen a password yet."""
    made = onboard(django_db_blocker)
    yield made
    offboard(django_db_blocker, made.tenant)


@pytest.fixture
def neighbour(django_db_setup, django_db_blocker):
    """A second onboarded tenant (request it before `people`: it is built as the owner role)."""
    made = onboard(django_db_blocker)
    yield made
    offboard(django_db_blocker, made.tenant)


@pytest.fixture
def make_user(django_db_blocker):
    """`make_user(tag, tenant=None, role=...)`: a committed user with PASSWORD."""
    return lambda tag, **kw: user_create(django_db_blocker, tag, **kw)


@pytest.fixture
def people(onboarded, django_db_blocker, app_db):
    """The onboarded tenant with the owner's password set; requests served as the app role."""
    with onboarded.scope():
        onboarded.owner.set_password(PASSWORD)
        onboarded.owner.save(update_fields=["password"])
    return onboarded
