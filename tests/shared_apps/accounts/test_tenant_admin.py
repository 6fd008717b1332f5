"""The tenant admin for the tenant's own people: membership sign-in, its tenant only, names."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tenant_apps.projects.models import Project
from tenant_apps.tracker.models import Task, TaskStatus
from tests.shared_apps.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def admin_login(host: str, address: str, password: str = PASSWORD):
    browser = Client(HTTP_HOST=host)
    response = browser.post(
        "/admin/login/?next=/admin/",
        {"username": address, "password": password, "next": "/admin/"},
        follow=True,
    )
    return browser, response


def test_an_owner_without_is_staff_signs_in_and_sees_their_tenants_models(people):
    assert not people.owner.is_staff
    browser, response = admin_login(people.host, people.owner.email)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Dev Context — {people.tenant.name}" in page
    assert "/admin/tracker/task/" in page and "/admin/projects/project/" in page
    assert browser.get("/admin/tracker/task/add/").status_code == 200


def test_an_admin_signs_in_a_member_does_not(people, make_user):
    admin = make_user("admin", tenant=people.tenant, role=Role.ADMIN)
    member = make_user("member", tenant=people.tenant, role=Role.MEMBER)
    assert admin_login(people.host, admin.email)[1].redirect_chain[-1][0] == "/admin/"
    browser, refused = admin_login(people.host, member.email)
    assert refused.redirect_chain == []
    assert "not an owner or admin of this organisation" in refused.content.decode()
    assert browser.get("/admin/").status_code == 302  # back to the login page


def test_an_owner_of_another_tenant_cannot_sign_in_here(neighbour, people):
    with neighbour.scope():
        neighbour.owner.set_password(PASSWORD)
        neighbour.owner.save(update_fields=["password"])
    assert admin_login(neighbour.host, neighbour.owner.email)[1].redirect_chain[-1][0] == "/admin/"
    _, refused = admin_login(people.host, neighbour.owner.email)
    assert refused.redirect_chain == []
    assert "Please enter a correct email and password" in refused.content.decode()


def test_people_appear_by_name_not_uuid(people, make_user):
    assignee = make_user("assignee", tenant=people.tenant, role=Role.MEMBER)
    with tenant_context(people.tenant):
        project = Project.objects.create(name="Admin", key="ADM")
        Task.objects.create(
            project=project,
            status=TaskStatus.objects.order_by("sort_order").first(),
            title="Named",
            assigned_to=assignee.pk,
        )
    browser, _ = admin_login(people.host, people.owner.email)
    listing = browser.get("/admin/tracker/task/").content.decode()
    assert assignee.email in listing and str(assignee.pk) not in listing
    form = browser.get("/admin/tracker/task/add/").content.decode()
    assert f'<option value="{assignee.pk}">{assignee.email}</option>' in form


def test_the_browsable_api_offers_a_login_link(people):
    page = Client(HTTP_HOST=people.host).get("/api/projects/", HTTP_ACCEPT="text/html")
    assert page.status_code in (401, 403)
    assert "href='/api-auth/login/?next=/api/projects/'>Log in</a>" in page.content.decode()
    browser = Client(HTTP_HOST=people.host)
    login = browser.post(
        "/api-auth/login/?next=/api/projects/",
        {"username": people.owner.email, "password": PASSWORD, "next": "/api/projects/"},
        follow=True,
    )
    assert login.redirect_chain[-1][0] == "/api/projects/" and login.status_code == 200
