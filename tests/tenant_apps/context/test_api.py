"""Sessions, events, documents and snippets through the API."""

import hashlib

import pytest
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(acme, client_for):
    return client_for(acme, Role.MEMBER)


def test_events_are_numbered_in_order_and_filter_by_kind(member, acme_data):
    path = f"/api/sessions/{acme_data.session.pk}/events/"
    seqs = [
        member.post(path, {"kind": kind, "content": "c"}, format="json").json()["seq"]
        for kind in ("prompt", "tool_call", "prompt")
    ]
    assert seqs == [1, 2, 3]
    prompts = member.get(f"{path}?kind=prompt").json()["results"]
    assert [e["seq"] for e in prompts] == [1, 3]


def test_sessions_filter_by_project_user_and_date(member, acme, acme_data):
    created = member.post("/api/sessions/", {"project": str(acme_data.project.pk)}, "json").json()
    assert created["user_id"] == str(member.user.pk) and created["started_at"]
    mine = member.get(f"/api/sessions/?user={member.user.pk}").json()["results"]
    assert [s["id"] for s in mine] == [created["id"]]
    assert member.get("/api/sessions/?started_after=2999-01-01T00:00:00Z").json()["count"] == 0
    assert member.get(f"/api/sessions/?project={acme_data.project.pk}").json()["count"] == 2


def test_session_cannot_end_before_it_starts(member, acme_data):
    body = {
        "project": str(acme_data.project.pk),
        "started_at": "2030-01-02T00:00:00Z",
        "ended_at": "2030-01-01T00:00:00Z",
    }
    response = member.post("/api/sessions/", body, format="json")
    assert response.status_code == 400 and "ended_at" in response.json()


def test_document_edits_bump_the_version(member, acme_data):
    path = f"/api/documents/{acme_data.document.pk}/"
    assert member.patch(path, {"body": "v2"}, format="json").json()["version"] == 2
    assert member.patch(path, {"kind": "adr"}, format="json").json()["version"] == 2


def test_snippet_checksum_is_computed_and_needs_a_parent(member, acme_data):
    body = {"document": str(acme_data.document.pk), "content": "print(1)"}
    response = member.post("/api/snippets/", body, format="json")
    assert response.json()["checksum"] == hashlib.sha256(b"print(1)").hexdigest()
    orphan = member.post("/api/snippets/", {"content": "x"}, format="json")
    assert orphan.status_code == 400 and "document" in orphan.json()


def test_decision_session_must_be_of_the_same_project(member, acme, acme_data):
    with tenant_context(acme):
        other = f.session_make(f.project_make(), member.user.pk)
    body = {"project": str(acme_data.project.pk), "title": "t", "session": str(other.pk)}
    assert member.post("/api/decisions/", body, format="json").status_code == 400
