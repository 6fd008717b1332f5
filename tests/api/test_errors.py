"""Error answers: field messages, malformed JSON, 404s, body limit, conflicts, pagination."""

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(acme, client_for):
    return client_for(acme, Role.OWNER)


def test_invalid_input_is_400_with_field_messages(owner):
    response = owner.post("/api/projects/", {"name": "", "key": "lower"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "key"}


def test_service_rule_is_400_with_field_message(owner, acme, acme_data):
    with tenant_context(acme):
        other = f.milestone_make(f.project_make())
    body = {"project": str(acme_data.project.pk), "title": "t", "milestone": str(other.pk)}
    response = owner.post("/api/tasks/", body, format="json")
    assert response.status_code == 400
    assert "another project" in response.json()["milestone"][0]


def test_malformed_json_is_400(owner):
    response = owner.generic(
        "POST", "/api/projects/", '{"name": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/tasks/00000000-0000-0000-0000-000000000000/", "/api/tasks/not-a-uuid/"]
)
def test_unknown_object_is_404_json(owner, path):
    response = owner.get(path)
    assert response.status_code == 404
    assert response.json()["detail"]


@override_settings(API_MAX_BODY_BYTES=1000)
def test_body_over_limit_is_413_before_parsing(owner):
    from config.api.middleware import RequestBodyLimitMiddleware  # reads the setting at init

    assert RequestBodyLimitMiddleware(lambda r: None).limit == 1000
    response = owner.post("/api/projects/", {"name": "x" * 2000, "key": "BIG"}, format="json")
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]


def test_default_limit_is_one_mebibyte(owner):
    response = owner.post("/api/projects/", {"name": "x" * (1024 * 1024), "key": "BIG"}, "json")
    assert response.status_code == 413


def test_deleting_a_status_in_use_is_409_not_500(owner, acme, acme_data):
    with tenant_context(acme):
        status_id = acme_data.task.status_id
    assert owner.delete(f"/api/task-statuses/{status_id}/").status_code == 409


def test_nul_character_and_huge_number_are_400_not_500(owner, acme_data):
    body = {"project": str(acme_data.project.pk), "metadata": {"a": "\u0000"}, "kind": "x"}
    assert (
        owner.post(f"/api/sessions/{acme_data.session.pk}/events/", body, "json").status_code == 400
    )
    body = {"project": str(acme_data.project.pk), "input_tokens": 2**70}
    assert owner.post("/api/sessions/", body, format="json").status_code == 400


def test_pagination_defaults_to_50_and_caps_at_200(owner, acme, acme_data):
    with tenant_context(acme):
        f.Label.objects.bulk_create([f.Label(name=f"bulk-{i}") for i in range(210)])
    assert len(owner.get("/api/labels/").json()["results"]) == 50
    assert len(owner.get("/api/labels/?page_size=500").json()["results"]) == 200
    assert owner.get("/api/labels/?page=999").status_code == 404


def test_system_roles_cannot_be_deleted(owner, acme):
    with tenant_context(acme):
        role_id = f.TeamRole.objects.get(slug="owner").pk
    response = owner.delete(f"/api/roles/{role_id}/")
    assert response.status_code == 400
    assert "System roles" in str(response.json())


def test_last_owner_cannot_be_demoted(acme, client_for):
    from shared_apps.accounts.models import Membership

    client = client_for(acme, Role.OWNER)
    Membership.objects.filter(tenant=acme, role=Role.OWNER).exclude(user=client.user).delete()
    mine = Membership.objects.get(tenant=acme, user=client.user)
    response = client.patch(f"/api/memberships/{mine.pk}/", {"role": "admin"}, format="json")
    assert response.status_code == 400
    assert client.delete(f"/api/memberships/{mine.pk}/").status_code == 400


@pytest.mark.parametrize("path", ["/api/tokens/?ordering=key", "/api/invitations/?ordering=token"])
def test_ordering_by_a_field_that_is_not_a_column_is_400(owner, path):
    response = owner.get(path)
    assert response.status_code == 400
    assert "Cannot order by" in response.json()["ordering"][0]


def test_ordering_by_a_column_still_orders(owner, acme, acme_data):
    response = owner.get("/api/tokens/?ordering=-created_at")
    assert response.status_code == 200


DEEP = "[" * 2000 + "]" * 2000


def test_json_nested_2000_deep_is_400_not_500(owner):
    from rest_framework.test import APIClient

    anonymous = APIClient(HTTP_HOST="acme.localhost")
    for client, path in ((owner, "/api/projects/"), (anonymous, "/api/auth/token/")):
        response = client.generic("POST", path, DEEP, content_type="application/json")
        assert response.status_code == 400, path
        assert "nested too deeply" in response.json()["detail"]


def test_search_with_a_nul_character_is_an_error_object(owner, acme_data):
    response = owner.get("/api/projects/?search=%00")
    assert response.status_code == 400
    assert response.json() == {"search": ["NUL characters are not allowed."]}


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_or_deleting_a_system_role_says_why_in_a_string(owner, acme, method):
    with tenant_context(acme):
        role_id = f.TeamRole.objects.get(slug="owner").pk
    response = getattr(owner, method)(f"/api/roles/{role_id}/", {"name": "Boss"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] in {
        "System roles cannot be changed.",
        "System roles cannot be deleted.",
    }


@pytest.mark.parametrize("host", ["acme.localhost", "localhost"])
@pytest.mark.parametrize("path", ["/no/such/page/", "/api/tasks/not-a-uuid/", "/api/nothing/"])
def test_unknown_paths_answer_json_in_debug_too(client, acme, settings, host, path):
    settings.DEBUG = True  # Django renders its technical 404 page (HTML) only in DEBUG
    response = client.get(path, HTTP_HOST=host)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
