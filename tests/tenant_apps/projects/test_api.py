"""Projects, repositories and milestones through the API."""

import pytest

from shared_apps.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_project_keys_are_unique_and_validated(acme, client_for):
    admin = client_for(acme, Role.ADMIN)
    assert admin.post("/api/projects/", {"name": "A", "key": "API"}, "json").status_code == 201
    duplicate = admin.post("/api/projects/", {"name": "B", "key": "API"}, "json")
    assert duplicate.status_code == 400 and "key" in duplicate.json()


def test_projects_search_and_filter(acme, client_for):
    admin = client_for(acme, Role.ADMIN)
    admin.post("/api/projects/", {"name": "Rocket engine", "key": "ENG"}, "json")
    admin.post("/api/projects/", {"name": "Dome", "key": "DOME", "status": "archived"}, "json")
    assert [p["key"] for p in admin.get("/api/projects/?search=rocket").json()["results"]] == [
        "ENG"
    ]
    assert [p["key"] for p in admin.get("/api/projects/?status=archived").json()["results"]] == [
        "DOME"
    ]


def test_members_cannot_create_projects(acme, client_for):
    member = client_for(acme, Role.MEMBER)
    assert member.post("/api/projects/", {"name": "A", "key": "NOPE"}, "json").status_code == 403
