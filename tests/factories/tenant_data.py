"""Rows of every tenant model, made directly (no API), for API tests. Call inside a tenant."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from shared_apps.accounts.models import Invitation, Membership, Role, User
from shared_apps.accounts.services import api_token_create
from tenant_apps.context.models import (
    ContextDocument,
    ContextSnippet,
    Decision,
    Session,
    SessionEvent,
)
from tenant_apps.integrations.models import Webhook
from tenant_apps.projects.models import Milestone, Project, Repository
from tenant_apps.teams.models import Role as TeamRole
from tenant_apps.teams.models import Team, TeamMember
from tenant_apps.tracker.models import Label, Task, TaskComment, TaskLabel, TaskStatus

__all__ = ["Label", "Task", "TaskComment", "TaskLabel", "TaskStatus", "TeamRole"]

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def user_make(email: str | None = None, **extra) -> User:
    return User.objects.create_user(email or f"user{n()}@example.test", "pw-Secret-1", **extra)


def member_make(tenant, role: str = Role.MEMBER, email: str | None = None) -> Membership:
    return Membership.objects.create(tenant=tenant, user=user_make(email), role=role)


def project_make(**kw) -> Project:
    i = n()
    return Project.objects.create(**{"name": f"Project {i}", "key": f"P{i}", **kw})


def repository_make(project: Project, **kw) -> Repository:
    return Repository.objects.create(project=project, url=f"https://git.test/r{n()}", **kw)


def milestone_make(project: Project, **kw) -> Milestone:
    return Milestone.objects.create(project=project, name=f"M{n()}", **kw)


def task_make(project: Project, **kw) -> Task:
    status = kw.pop("status", None) or TaskStatus.objects.order_by("sort_order").first()
    return Task.objects.create(project=project, status=status, title=f"Task {n()}", **kw)


def label_make(**kw) -> Label:
    return Label.objects.create(name=f"label-{n()}", **kw)


def session_make(project: Project, user_id, **kw) -> Session:
    return Session.objects.create(
        project=project, user_id=user_id, started_at=timezone.now(), agent="claude", **kw
    )


def session_event_make(session: Session) -> SessionEvent:
    return SessionEvent.objects.create(session=session, seq=n(), kind="prompt", content="hi")


def document_make(project: Project) -> ContextDocument:
    return ContextDocument.objects.create(project=project, title=f"Doc {n()}", body="text")


def snippet_make(document: ContextDocument) -> ContextSnippet:
    content = f"print({n()})"
    return ContextSnippet.objects.create(
        document=document, content=content, checksum=hashlib.sha256(content.encode()).hexdigest()
    )


def decision_make(project: Project) -> Decision:
    return Decision.objects.create(project=project, title=f"Decision {n()}")


def team_make() -> Team:
    i = n()
    return Team.objects.create(name=f"Team {i}", slug=f"team-{i}")


def team_member_make(team: Team, user_id) -> TeamMember:
    return TeamMember.objects.create(
        team=team, user_id=user_id, role=TeamRole.objects.get(slug="member")
    )


def role_make() -> TeamRole:
    i = n()
    return TeamRole.objects.create(name=f"Role {i}", slug=f"role-{i}", permissions=["read"])


def task_status_make() -> TaskStatus:
    i = n()
    return TaskStatus.objects.create(name=f"Status {i}", slug=f"status-{i}", sort_order=10 + i)


def webhook_make() -> Webhook:
    return Webhook.objects.create(url=f"https://hooks.test/{n()}", secret_hash="0" * 64)


def invitation_make(tenant) -> Invitation:
    return Invitation.objects.create(
        tenant=tenant,
        email=f"invitee{n()}@example.test",
        token_hash=hashlib.sha256(f"invitation {n()}".encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=7),
    )


def token_make(tenant, user: User):
    return api_token_create(user=user, tenant=tenant, name=f"token {n()}")[0]


def seed(tenant, owner: User) -> SimpleNamespace:
    """One of each parent row the API tests hang their objects on."""
    project = project_make()
    session = session_make(project, owner.pk)
    return SimpleNamespace(
        tenant=tenant,
        owner=owner,
        project=project,
        task=task_make(project),
        team=team_make(),
        session=session,
        document=document_make(project),
        label=label_make(),
    )
