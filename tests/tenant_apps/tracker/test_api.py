"""Tasks through the API: default status, filters, labels, ordering."""

import pytest
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(acme, client_for):
    return client_for(acme, Role.MEMBER)


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["results"]}


def test_new_task_starts_in_to_do_and_records_its_creator(member, acme_data):
    response = member.post("/api/tasks/", {"project": str(acme_data.project.pk), "title": "x"})
    assert response.status_code == 201, response.json()
    with tenant_context(acme_data.tenant):
        assert f.Task.objects.get(pk=response.json()["id"]).status.slug == "todo"
    assert response.json()["created_by"] == str(member.user.pk)


def test_closed_at_is_set_when_a_task_is_completed_and_cleared_when_reopened(member, acme_data):
    with tenant_context(acme_data.tenant):
        done, todo = (str(f.TaskStatus.objects.get(slug=slug).pk) for slug in ("done", "todo"))
    created = member.post("/api/tasks/", {"project": str(acme_data.project.pk), "title": "x"})
    assert created.json()["closed_at"] is None
    url = f"/api/tasks/{created.json()['id']}/"

    closed = member.patch(url, {"status": done}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["closed_at"] is not None
    again = member.patch(url, {"title": "renamed"}, format="json")
    assert again.json()["closed_at"] == closed.json()["closed_at"]  # kept while completed
    reopened = member.patch(url, {"status": todo}, format="json")
    assert reopened.json()["closed_at"] is None


def test_assignee_must_be_a_member(member, acme_data):
    outsider = f.user_make()
    body = {"project": str(acme_data.project.pk), "title": "x", "assigned_to": str(outsider.pk)}
    response = member.post("/api/tasks/", body, format="json")
    assert response.status_code == 400 and "assigned_to" in response.json()


def test_task_filters(member, acme, acme_data):
    with tenant_context(acme):
        done = f.TaskStatus.objects.get(slug="done")
        other_project = f.project_make()
        milestone = f.milestone_make(acme_data.project)
        label = f.label_make()
        a = f.task_make(
            acme_data.project,
            status=done,
            assigned_to=member.user.pk,
            due_date="2030-01-10",
            milestone=milestone,
        )
        b = f.task_make(other_project, due_date="2030-03-01")
        f.TaskLabel.objects.create(task=a, label=label)
    a, b = str(a.pk), str(b.pk)
    assert ids(member.get(f"/api/tasks/?status={done.pk}")) == {a}
    assert ids(member.get("/api/tasks/?status_slug=done")) == {a}
    assert ids(member.get(f"/api/tasks/?assignee={member.user.pk}")) == {a}
    assert ids(member.get(f"/api/tasks/?project={other_project.pk}")) == {b}
    assert ids(member.get(f"/api/tasks/?milestone={milestone.pk}")) == {a}
    assert ids(member.get(f"/api/tasks/?label={label.pk}")) == {a}
    in_range = ids(member.get("/api/tasks/?due_after=2030-02-01&due_before=2030-12-31"))
    assert in_range == {b}
    assert member.get("/api/tasks/?due_after=not-a-date").status_code == 400
    ordered = member.get("/api/tasks/?ordering=due_date&due_after=2030-01-01").json()["results"]
    assert [t["due_date"] for t in ordered] == sorted(t["due_date"] for t in ordered)


def test_labels_attach_once_and_show_on_the_task(member, acme, acme_data):
    with tenant_context(acme):
        label = f.label_make()
    path = f"/api/tasks/{acme_data.task.pk}/labels/"
    assert member.post(path, {"label": str(label.pk)}, format="json").status_code == 201
    assert member.post(path, {"label": str(label.pk)}, format="json").status_code == 400
    task = member.get(f"/api/tasks/{acme_data.task.pk}/").json()
    assert task["labels"] == [str(label.pk)]


def test_comment_author_is_the_caller(member, acme_data):
    response = member.post(f"/api/tasks/{acme_data.task.pk}/comments/", {"body": "hi"})
    assert response.json()["author_id"] == str(member.user.pk)
