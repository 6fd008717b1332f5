"""Hosts route to the right schema; unknown and not-ready tenants get JSON errors."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Tenant
from tenant_apps.projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(acme, globex):
    with tenant_context(acme):
        Project.objects.create(name="Acme rocket", key="ROCKET")
    with tenant_context(globex):
        Project.objects.create(name="Globex dome", key="DOME")


def admin_client(tenant: Tenant) -> Client:
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    client.force_login(User.objects.get(email=f"owner@{tenant.slug}.test"))
    return client


def test_tenant_host_serves_its_own_schema_only(acme, globex, projects):
    acme_page = admin_client(acme).get("/admin/projects/project/")
    globex_page = admin_client(globex).get("/admin/projects/project/")
    assert acme_page.status_code == 200
    assert b"Acme rocket" in acme_page.content
    assert b"Globex dome" not in acme_page.content
    assert b"Globex dome" in globex_page.content
    assert b"Acme rocket" not in globex_page.content


def test_owner_of_one_tenant_cannot_use_another_tenants_admin(acme, globex, projects):
    client = Client(HTTP_HOST="globex.localhost")
    client.force_login(User.objects.get(email="owner@acme.test"))
    response = client.get("/admin/projects/project/")
    assert response.status_code == 302  # sent to the login page, no data
    assert b"Globex dome" not in response.content


def test_unknown_host_is_json_404():
    response = Client(HTTP_HOST="nobody.localhost").get("/admin/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No organisation is served at nobody.localhost."


def test_base_domain_serves_the_public_site():
    response = Client(HTTP_HOST="localhost").get("/admin/login/")
    assert response.status_code == 200
    assert b"operators" in response.content


def test_unknown_path_is_json_404_on_tenant_host(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("status", "code"),
    [("provisioning", 503), ("suspended", 403), ("failed", 503), ("deleting", 410)],
)
def test_tenant_not_active_is_refused_with_json(acme, status, code):
    Tenant.objects.filter(pk=acme.pk).update(status=status)
    response = Client(HTTP_HOST="acme.localhost").get("/admin/")
    assert response.status_code == code
    assert response.json()["status_code"] == status
    if status == "provisioning":
        assert response["Retry-After"] == "5"


@pytest.mark.parametrize("host", ["localhost", "acme.localhost", "nobody.localhost", "10.1.2.3"])
def test_health_endpoints_answer_on_every_host(host, db):
    client = Client(HTTP_HOST=host)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


def test_operators_admin_on_the_base_domain_lists_tenants(acme):
    operator = User.objects.create_superuser("operator@routing.test", "a-long-password")
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    listing = client.get("/admin/tenants/tenant/")
    assert listing.status_code == 200
    assert b"acme" in listing.content


def test_a_provisioning_tenant_without_its_domain_yet_answers_503_with_retry_after(db):
    Tenant.objects.create(slug="nascent", name="Nascent", schema_name="t_nascent")
    response = Client(HTTP_HOST="nascent.localhost").get("/api/projects/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["status_code"] == "provisioning"
    assert Client(HTTP_HOST="nobody.localhost").get("/api/").status_code == 404
