"""Every tenant API resource as data: where it lives, how to make a row, what to send.

The CRUD, permission, isolation and query-count tests are parametrised over this table, so a
new endpoint gets all of them by adding one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenant_apps.tracker.models import TaskComment, TaskLabel
from tests.factories import tenant_data as f


@dataclass(frozen=True)
class Resource:
    name: str  # key of config.api.permissions.PERMISSION_MATRIX
    path: Callable[[Any], str]  # collection path, from the seeded data
    make: Callable[[Any, Any], Any]  # (data, requesting user) → a row, inside the tenant
    payload: Callable[[Any], dict]  # a valid creation body
    change: dict | None = None  # a valid PATCH body; None when the resource has no update

    def __str__(self) -> str:
        return self.name


def flat(path: str) -> Callable[[Any], str]:
    return lambda data: path


RESOURCES = [
    Resource(
        "teams",
        flat("/api/teams/"),
        lambda d, u: f.team_make(),
        lambda d: {"name": "Core", "slug": f"core-{f.n()}"},
        {"description": "The core team."},
    ),
    Resource(
        "team-members",
        lambda d: f"/api/teams/{d.team.pk}/members/",
        lambda d, u: f.team_member_make(d.team, f.member_make(d.tenant).user_id),
        lambda d: {"user_id": str(f.member_make(d.tenant).user_id), "role": "member"},
        {"role": "admin"},
    ),
    Resource(
        "roles",
        flat("/api/roles/"),
        lambda d, u: f.role_make(),
        lambda d: {"name": "QA", "slug": f"qa-{f.n()}", "permissions": ["read"]},
        {"name": "Quality"},
    ),
    Resource(
        "projects",
        flat("/api/projects/"),
        lambda d, u: f.project_make(),
        lambda d: {"name": "Rocket", "key": f"R{f.n()}", "tags": ["space"]},
        {"description": "To the moon."},
    ),
    Resource(
        "repositories",
        flat("/api/repositories/"),
        lambda d, u: f.repository_make(d.project),
        lambda d: {"project": str(d.project.pk), "url": f"https://git.test/new{f.n()}"},
        {"default_branch": "develop"},
    ),
    Resource(
        "milestones",
        flat("/api/milestones/"),
        lambda d, u: f.milestone_make(d.project),
        lambda d: {"project": str(d.project.pk), "name": "v1", "due_date": "2030-01-31"},
        {"state": "closed"},
    ),
    Resource(
        "task-statuses",
        flat("/api/task-statuses/"),
        lambda d, u: f.task_status_make(),
        lambda d: {"name": "Review", "slug": f"review-{f.n()}", "color": "#123456"},
        {"color": "#654321"},
    ),
    Resource(
        "tasks",
        flat("/api/tasks/"),
        lambda d, u: f.task_make(d.project),
        lambda d: {"project": str(d.project.pk), "title": "Write the API"},
        {"priority": 4},
    ),
    Resource(
        "task-comments",
        lambda d: f"/api/tasks/{d.task.pk}/comments/",
        lambda d, u: TaskComment.objects.create(task=d.task, body="first"),
        lambda d: {"body": "Looks good."},
        {"body": "Looks great."},
    ),
    Resource(
        "task-labels",
        lambda d: f"/api/tasks/{d.task.pk}/labels/",
        lambda d, u: TaskLabel.objects.create(task=d.task, label=f.label_make()),
        lambda d: {"label": str(f.label_make().pk)},
    ),
    Resource(
        "labels",
        flat("/api/labels/"),
        lambda d, u: f.label_make(),
        lambda d: {"name": f"bug-{f.n()}", "color": "#FF0000"},
        {"color": "#00FF00"},
    ),
    Resource(
        "sessions",
        flat("/api/sessions/"),
        lambda d, u: f.session_make(d.project, u.pk),
        lambda d: {"project": str(d.project.pk), "agent": "claude-code"},
        {"summary": "Built the API."},
    ),
    Resource(
        "session-events",
        lambda d: f"/api/sessions/{d.session.pk}/events/",
        lambda d, u: f.session_event_make(d.session),
        lambda d: {"kind": "tool_call", "content": "ls", "metadata": {"exit": 0}},
        {"content": "ls -l"},
    ),
    Resource(
        "documents",
        flat("/api/documents/"),
        lambda d, u: f.document_make(d.project),
        lambda d: {"project": str(d.project.pk), "title": "API spec", "kind": "spec"},
        {"body": "Second draft."},
    ),
    Resource(
        "snippets",
        flat("/api/snippets/"),
        lambda d, u: f.snippet_make(d.document),
        lambda d: {"document": str(d.document.pk), "content": "x = 1", "language": "python"},
        {"path": "src/x.py"},
    ),
    Resource(
        "decisions",
        flat("/api/decisions/"),
        lambda d, u: f.decision_make(d.project),
        lambda d: {"project": str(d.project.pk), "title": "Use PostgreSQL"},
        {"status": "accepted"},
    ),
    Resource(
        "webhooks",
        flat("/api/webhooks/"),
        lambda d, u: f.webhook_make(),
        lambda d: {"url": "https://hooks.test/in", "events": ["task.create"]},
        {"is_active": False},
    ),
    Resource(
        "memberships",
        flat("/api/memberships/"),
        lambda d, u: f.member_make(d.tenant),
        lambda d: {"email": f.user_make().email, "role": "viewer"},
        {"role": "member"},
    ),
    Resource(
        "tokens",
        flat("/api/tokens/"),
        lambda d, u: f.token_make(d.tenant, u),
        lambda d: {"name": "ci"},
    ),
    Resource(
        "invitations",
        flat("/api/invitations/"),
        lambda d, u: f.invitation_make(d.tenant),
        lambda d: {"email": f"new{f.n()}@example.test", "role": "member"},
    ),
]
