"""Teams and their members through the API."""

import pytest

from shared_apps.accounts.models import Role
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db


def test_only_organisation_members_join_a_team_once(acme, acme_data, client_for):
    admin = client_for(acme, Role.ADMIN)
    path = f"/api/teams/{acme_data.team.pk}/members/"
    outsider = f.user_make()
    body = {"user_id": str(outsider.pk), "role": "member"}
    assert admin.post(path, body, format="json").status_code == 400
    body["user_id"] = str(admin.user.pk)
    assert admin.post(path, body, format="json").status_code == 201
    assert admin.post(path, body, format="json").status_code == 400
    team = admin.get(f"/api/teams/{acme_data.team.pk}/").json()
    assert team["member_count"] == 1


def test_team_member_role_is_a_role_slug(acme, acme_data, client_for):
    admin = client_for(acme, Role.ADMIN)
    path = f"/api/teams/{acme_data.team.pk}/members/"
    body = {"user_id": str(admin.user.pk), "role": "no-such-role"}
    response = admin.post(path, body, format="json")
    assert response.status_code == 400 and "role" in response.json()
