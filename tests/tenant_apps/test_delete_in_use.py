"""Deleting a parent that holds children: 409 naming them, unless an admin asks to cascade."""

import pytest
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from shared_apps.audit.models import AuditEvent
from tenant_apps.projects.models import Project
from tenant_apps.tracker.models import Task
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def busy_project(people):
    with tenant_context(people.tenant):
        project = f.project_make()
        task = f.task_make(project)
        f.repository_make(project)
        f.TaskComment.objects.create(task=task, body="Still needed")
    return project, task


def test_deleting_a_project_with_content_answers_409_naming_it(people, busy_project):
    project, _ = busy_project
    with tenant_context(people.tenant):
        empty = f.project_make()
    owner = people.token_client(people.owner.email)
    assert owner.delete(f"/api/projects/{empty.pk}/").status_code == 204  # nothing to lose
    response = owner.delete(f"/api/projects/{project.pk}/")
    assert response.status_code == 409
    assert response.json()["holds"] == {"repositories": 1, "tasks": 1}
    assert "1 repositories, 1 tasks" in response.json()["detail"]
    assert "cascade=true" in response.json()["detail"]
    with tenant_context(people.tenant):
        assert Project.objects.filter(pk=project.pk).exists()


def test_an_admin_cascades_explicitly_and_it_is_audited(people, busy_project, make_user):
    project, task = busy_project
    admin = make_user("admin", tenant=people.tenant, role=Role.ADMIN)
    response = people.token_client(admin.email).delete(f"/api/projects/{project.pk}/?cascade=true")
    assert response.status_code == 204
    with tenant_context(people.tenant):
        assert not Task.objects.filter(pk=task.pk).exists()
        event = AuditEvent.objects.get(action="project.delete", target_id=str(project.pk))
        assert event.actor_id == admin.pk
        assert event.payload == {"cascade": {"repositories": 1, "tasks": 1}}


def test_a_member_cannot_cascade_a_task_with_comments(people, busy_project, make_user):
    _, task = busy_project
    member = make_user("member", tenant=people.tenant, role=Role.MEMBER)
    client = people.token_client(member.email)
    refused = client.delete(f"/api/tasks/{task.pk}/")
    assert refused.status_code == 409 and refused.json()["holds"] == {"comments": 1}
    assert client.delete(f"/api/tasks/{task.pk}/?cascade=true").status_code == 403
    assert client.delete(f"/api/tasks/{task.pk}/?cascade=maybe").json() == {
        "cascade": ["Use true or false."]
    }
    owner = people.token_client(people.owner.email)
    assert owner.delete(f"/api/tasks/{task.pk}/?cascade=true").status_code == 204
